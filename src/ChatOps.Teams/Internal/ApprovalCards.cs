using System.Collections.Concurrent;

namespace ChatOps.Teams.Internal;

/// <summary>An approval card this process posted: where it is, and (once sent) its activity id, so a decision can rewrite it.</summary>
internal sealed class ApprovalCardState(TeamsApprovalCard card, string serviceUrl, string conversationId, DateTimeOffset postedAt)
{
    private int _decided;

    public TeamsApprovalCard Card { get; } = card;
    public string ServiceUrl { get; } = serviceUrl;
    public string ConversationId { get; } = conversationId;
    public DateTimeOffset PostedAt { get; } = postedAt;

    /// <summary>Completes with the card's activity id once the connector accepted it.</summary>
    public Task<string?> Posted { get; set; } = Task.FromResult<string?>(null);

    /// <summary>True only for the first decision: the card is rewritten once.</summary>
    public bool TryDecide() => Interlocked.Exchange(ref _decided, 1) == 0;
}

/// <summary>
/// The approval cards of this process, by approval id (the request id). In memory: a decision taken
/// while another process holds the card leaves its buttons, and a click on them is answered by the
/// core ("already approved").
/// </summary>
internal sealed class ApprovalCards(TimeProvider time)
{
    private const int MaxCards = 10_000;
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);

    private readonly ConcurrentDictionary<string, ApprovalCardState> _cards = new(StringComparer.Ordinal);

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Adds the card unless one with its id is known; false when it was (post it once).</summary>
    public bool TryAdd(ApprovalCardState card)
    {
        if (_cards.Count >= MaxCards) Prune();
        return _cards.TryAdd(card.Card.CommandId, card);
    }

    public ApprovalCardState? Find(string approvalId) => _cards.GetValueOrDefault(approvalId);

    private void Prune()
    {
        var cutoff = time.GetUtcNow() - KeepFor;
        foreach (var (id, card) in _cards)
        {
            if (card.PostedAt < cutoff) _cards.TryRemove(id, out _);
        }

        if (_cards.Count >= MaxCards)
        {
            foreach (var (id, _) in _cards.OrderBy(c => c.Value.PostedAt).Take(MaxCards / 2).ToList())
                _cards.TryRemove(id, out _);
        }
    }
}
