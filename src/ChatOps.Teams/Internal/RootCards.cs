using System.Collections.Concurrent;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Teams.Internal;

/// <summary>
/// What one request's command card shows, and the id of the card once posted. The card is updated
/// in place (PUT); a version number lets an update that a newer one follows be skipped.
/// </summary>
internal sealed class RootCardState(string requestId, string commandText, string target, string requestedBy, bool singleTarget, DateTimeOffset createdAt)
{
    private readonly Dictionary<string, CommandView> _views = new(StringComparer.Ordinal);

    public string RequestId { get; } = requestId;
    public string CommandText { get; } = commandText;
    public string Target { get; } = target;
    public string RequestedBy { get; } = requestedBy;
    public DateTimeOffset CreatedAt { get; } = createdAt;
    public string? ActivityId { get; set; }
    public string? NotAccepted { get; private set; }
    public int Version { get; private set; }

    /// <summary>True when the result was posted as a card of its own (the command card never got an id).</summary>
    public bool ResultPosted { get; set; }

    public IReadOnlyList<CommandView> Views => _views.Values.ToList();

    public bool IsFinished => NotAccepted is not null || (_views.Count > 0 && _views.Values.All(v => v.State.IsTerminal()));

    /// <summary>False when the view changes nothing that may change (a late "running" after the end).</summary>
    public bool Apply(CommandView view)
    {
        // Events of one command can be redelivered or overtaken: a final state is never undone.
        if (_views.TryGetValue(view.CommandId, out var known) && known.State.IsTerminal() && !view.State.IsTerminal()) return false;
        // A fan-out waits for approval as one line under the request id; once its per-server commands
        // report, that line has served its purpose.
        if (view.CommandId != RequestId && _views.TryGetValue(RequestId, out var waiting) && waiting.State == CommandState.AwaitingApproval)
            _views.Remove(RequestId);
        _views[view.CommandId] = view;
        Version++;
        return true;
    }

    public void MarkNotAccepted(string reason)
    {
        NotAccepted = reason;
        Version++;
    }

    public IEnumerable<string> CancellableCommandIds() =>
        _views.Count == 0
            ? (singleTarget ? [RequestId] : [])
            : _views.Values.Where(v => !v.State.IsTerminal()).Select(v => v.CommandId).Order(StringComparer.Ordinal);
}

/// <summary>The command cards of this process, by request id; old ones are forgotten.</summary>
internal sealed class RootCards(TimeProvider time)
{
    private const int MaxCards = 10_000;
    private static readonly TimeSpan KeepFor = TimeSpan.FromHours(6);

    private readonly ConcurrentDictionary<string, RootCardState> _cards = new(StringComparer.Ordinal);

    public RootCardState GetOrAdd(string requestId, Func<RootCardState> create)
    {
        if (_cards.Count >= MaxCards) Prune();
        return _cards.GetOrAdd(requestId, _ => create());
    }

    public RootCardState? Find(string requestId) => _cards.GetValueOrDefault(requestId);

    public DateTimeOffset Now => time.GetUtcNow();

    private void Prune()
    {
        var cutoff = time.GetUtcNow() - KeepFor;
        foreach (var (id, card) in _cards)
        {
            if (card.CreatedAt < cutoff) _cards.TryRemove(id, out _);
        }

        // Still full (a burst within the window): drop the oldest half rather than grow without bound.
        if (_cards.Count >= MaxCards)
        {
            foreach (var (id, _) in _cards.OrderBy(c => c.Value.CreatedAt).Take(MaxCards / 2).ToList())
                _cards.TryRemove(id, out _);
        }
    }
}
