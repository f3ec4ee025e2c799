using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>An in-memory alert channel (platform <c>test</c>): remembers threads, root updates and replies, and lets a test wait for them.</summary>
internal sealed class RecordingAlertChannel : IAlertChannel
{
    public const string PlatformName = "test";

    private readonly Lock _gate = new();
    private readonly List<(AlertRoute Route, AlertCard Card, ChatRef Thread)> _opened = [];
    private readonly List<(ChatRef Thread, AlertCard Card)> _updates = [];
    private readonly List<(ChatRef Thread, AlertReply Reply)> _replies = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public string Platform => PlatformName;

    /// <summary>Makes the next <paramref name="count"/> calls fail as a platform would (e.g. a 5xx after its own retries).</summary>
    public int FailNext { get; set; }

    public Task<ChatRef> OpenThreadAsync(AlertRoute route, AlertCard card, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        var thread = new ChatRef(Platform, route.Channel, "thread-" + card.AlertId);
        lock (_gate) _opened.Add((route, card, thread));
        Signal();
        return Task.FromResult(thread);
    }

    public Task UpdateRootAsync(ChatRef thread, AlertCard card, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        lock (_gate) _updates.Add((thread, card));
        Signal();
        return Task.CompletedTask;
    }

    public Task PostReplyAsync(ChatRef thread, AlertReply reply, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        lock (_gate) _replies.Add((thread, reply));
        Signal();
        return Task.CompletedTask;
    }

    public IReadOnlyList<AlertCard> Roots(string? alertId = null)
    {
        lock (_gate) return _opened.Where(o => alertId is null || o.Card.AlertId == alertId).Select(o => o.Card).ToList();
    }

    public IReadOnlyList<AlertReply> Replies(string alertId)
    {
        lock (_gate) return _replies.Where(r => r.Thread.Thread == "thread-" + alertId).Select(r => r.Reply).ToList();
    }

    public AlertCard? LastRoot(string alertId)
    {
        lock (_gate) return _updates.LastOrDefault(u => u.Thread.Thread == "thread-" + alertId).Card;
    }

    public Task WaitForRootAsync(string alertId) =>
        WaitAsync(() => Roots(alertId).Count > 0, () => $"no thread for alert {alertId}; threads: {string.Join(", ", Roots().Select(r => r.AlertId))}");

    public async Task<AlertReply> WaitForReplyAsync(string alertId, string text)
    {
        await WaitAsync(() => Replies(alertId).Any(r => r.Text.Contains(text, StringComparison.Ordinal)),
            () => $"no reply for {alertId} containing '{text}'; got: {string.Join(" | ", Replies(alertId).Select(r => r.Text))}");
        return Replies(alertId).First(r => r.Text.Contains(text, StringComparison.Ordinal));
    }

    private async Task WaitAsync(Func<bool> condition, Func<string> describe)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition()) return;
            _waiters.Add((condition, done));
        }

        try
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(describe());
        }
    }

    private void ThrowIfFailing()
    {
        lock (_gate)
        {
            if (FailNext <= 0) return;
            FailNext--;
        }

        throw new ChatDeliveryException(Platform, "unavailable", "the test platform is down");
    }

    private void Signal()
    {
        lock (_gate)
        {
            foreach (var waiter in _waiters.Where(w => w.Condition()).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }
}
