using ChatOps.Core.Approvals;

namespace ChatOps.Core.Ports;

/// <summary>
/// Approvals of high-risk commands. Decisions are conditional updates out of
/// <see cref="ApprovalState.Pending"/>, so of two racing decisions exactly one wins.
/// </summary>
public interface IApprovalStore
{
    /// <summary>Inserts; false when the id exists (a redelivered request).</summary>
    Task<bool> TryCreateAsync(ApprovalRequest approval, CancellationToken cancellationToken = default);

    Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a pending approval to <paramref name="decision"/> (approved, denied, expired, cancelled);
    /// false when it was no longer pending.
    /// </summary>
    Task<bool> TryDecideAsync(string id, ApprovalState decision, string? decidedByUserId, string? decidedByName, string? reason, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Pending approvals whose expiry is at or before <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<ApprovalRequest>> ListExpiredAsync(DateTimeOffset now, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Newest first, optionally only those in <paramref name="state"/>.</summary>
    Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalState? state = null, int limit = 100, CancellationToken cancellationToken = default);
}
