namespace ChatOps.Teams.Internal;

/// <summary>
/// Keeps one conversation under Teams' per-thread limits for a bot (7 sends per second, 8 per two
/// seconds, 60 per thirty seconds), so a burst is spread out instead of being answered with 429s.
/// Not thread-safe: each conversation's single sender owns one.
/// </summary>
internal sealed class SendPacer(TimeProvider time)
{
    private static readonly (TimeSpan Window, int Max)[] Limits =
        [(TimeSpan.FromSeconds(1), 7), (TimeSpan.FromSeconds(2), 8), (TimeSpan.FromSeconds(30), 60)];

    private static readonly TimeSpan Longest = Limits.Max(l => l.Window);
    private readonly List<DateTimeOffset> _sent = [];

    /// <summary>How long to wait before the next send may go out (zero when it may go now).</summary>
    public TimeSpan DelayBeforeNext()
    {
        var now = time.GetUtcNow();
        _sent.RemoveAll(t => t <= now - Longest);
        var wait = TimeSpan.Zero;
        foreach (var (window, max) in Limits)
        {
            var inWindow = _sent.Where(t => t > now - window).ToList();
            if (inWindow.Count < max) continue;
            // The send that must leave the window first is the (count - max + 1)th oldest in it.
            var until = inWindow[inWindow.Count - max] + window - now;
            if (until > wait) wait = until;
        }

        return wait;
    }

    public void RecordSend() => _sent.Add(time.GetUtcNow());
}
