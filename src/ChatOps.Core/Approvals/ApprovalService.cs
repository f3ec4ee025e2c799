using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Approvals;

/// <summary>How an approve or deny attempt ended.</summary>
public enum ApprovalOutcome
{
    Approved,
    Denied,
    NotFound,

    /// <summary>The user may not approve (not an approver).</summary>
    NotAllowed,

    /// <summary>The requester tried to approve their own request.</summary>
    SelfApproval,

    /// <summary>Already approved, denied, expired or cancelled.</summary>
    NotPending,

    /// <summary>The stored commands no longer match the approved fingerprint; nothing runs.</summary>
    Mismatch,
}

/// <summary>The outcome, the sentence for the user, and the approval as it is now.</summary>
public sealed record ApprovalResult(ApprovalOutcome Outcome, string Message, ApprovalRequest? Approval);

/// <summary>
/// Two-person control for high-risk commands. The router asks for an approval (the commands wait
/// in <see cref="CommandState.AwaitingApproval"/>); a different user allowed to <c>approve</c>
/// decides, from chat or the REST API; the sweeper expires what nobody decided in time. Each step
/// is one audit event and one <see cref="ApprovalDecided"/> on commands-topic, which the router
/// turns into command transitions and the notifier into thread posts.
/// </summary>
public sealed class ApprovalService(
    ICommandStore commands,
    AccessPolicy policy,
    AuditLog audit,
    CommandEventPublisher events,
    IOptions<ApprovalOptions> options,
    TimeProvider time,
    IApprovalStore? store = null)
{
    /// <summary>False when no approval store is registered: high-risk commands are then refused.</summary>
    public bool IsAvailable => store is not null;

    public TimeSpan Expiry => options.Value.Expiry;

    public Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        store is null ? Task.FromResult<ApprovalRequest?>(null) : store.GetAsync(Normalize(id), cancellationToken);

    public Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalState? state, int limit, CancellationToken cancellationToken = default) =>
        store is null ? Task.FromResult<IReadOnlyList<ApprovalRequest>>([]) : store.ListAsync(state, limit, cancellationToken);

    /// <summary>
    /// Records the approval for commands the router stored as awaiting approval, and announces it.
    /// Idempotent: a redelivered request finds the approval and only announces again (the notifier
    /// dedupes), and is audited once.
    /// </summary>
    public async Task<ApprovalRequest> RequestAsync(CommandRequested request, IReadOnlyList<CommandRecord> awaiting, CancellationToken cancellationToken)
    {
        var approvals = Required();
        var now = time.GetUtcNow();
        var approval = new ApprovalRequest
        {
            Id = request.RequestId,
            RequestId = request.RequestId,
            CommandName = request.CommandName,
            Target = request.Target,
            Action = awaiting[0].Action,
            Servers = awaiting.Select(c => c.ServerId).Order(StringComparer.Ordinal).ToList(),
            Fingerprint = ApprovalFingerprint.Compute(request.Target, awaiting),
            Text = request.Text,
            Requester = request.Requester,
            ReplyTo = request.ReplyTo,
            State = ApprovalState.Pending,
            RequestedAt = now,
            ExpiresAt = now + options.Value.Expiry,
        };
        if (await approvals.TryCreateAsync(approval, cancellationToken))
        {
            await audit.RecordAsync(request.Requester.UserId, "approval.requested", approval.Id, "pending",
                $"{TextHygiene.Escape(approval.Text)} on {string.Join(", ", approval.Servers)}; sha256 {approval.Fingerprint}", cancellationToken);
        }
        else
        {
            approval = await approvals.GetAsync(approval.Id, cancellationToken) ?? approval;
        }

        if (approval.State == ApprovalState.Pending)
        {
            await events.PublishAsync(ApprovalEventTypes.Requested, approval.Target, new ApprovalRequested(approval.Id, approval.CommandName, approval.Target,
                approval.Servers, approval.Text, approval.Fingerprint, approval.Requester, approval.ExpiresAt, approval.ReplyTo), cancellationToken);
        }

        return approval;
    }

    public Task<ApprovalResult> ApproveAsync(User approver, Requester by, string id, CancellationToken cancellationToken = default) =>
        DecideAsync(approver, by, id, approve: true, reason: null, cancellationToken);

    public Task<ApprovalResult> DenyAsync(User approver, Requester by, string id, string? reason, CancellationToken cancellationToken = default) =>
        DecideAsync(approver, by, id, approve: false, reason, cancellationToken);

    /// <summary>Expires pending approvals whose time is up (called by the router's sweeper).</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        if (store is null) return 0;
        var now = time.GetUtcNow();
        var expired = 0;
        foreach (var approval in await store.ListExpiredAsync(now, 100, cancellationToken))
        {
            if (await ExpireAsync(approval, now, cancellationToken)) expired++;
        }

        return expired;
    }

    /// <summary>The requester (or someone allowed to cancel) withdrew the request.</summary>
    public async Task CancelAsync(string id, Requester by, CancellationToken cancellationToken)
    {
        if (store is null || await store.GetAsync(id, cancellationToken) is not { } approval) return;
        if (!await store.TryDecideAsync(id, ApprovalState.Cancelled, by.UserId, by.DisplayName, "cancelled", time.GetUtcNow(), cancellationToken)) return;
        await audit.RecordAsync(by.UserId, "approval.cancelled", id, "cancelled", null, cancellationToken);
        await PublishAsync(approval, ApprovalDecisions.Cancelled, by, null, cancellationToken);
    }

    private async Task<ApprovalResult> DecideAsync(User approver, Requester by, string rawId, bool approve, string? reason, CancellationToken cancellationToken)
    {
        var approvals = Required();
        var id = Normalize(rawId);
        var verb = approve ? "approve" : "deny";
        var action = approve ? "approval.approved" : "approval.denied";
        if (id.Length == 0) return new(ApprovalOutcome.NotFound, $"Which request? Usage: `{verb} <id>`.", null);
        if (id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return new(ApprovalOutcome.NotFound, "That is not a request id: ids are letters, digits, '-' and '_', as shown in the approval request.", null);
        var approval = await approvals.GetAsync(id, cancellationToken);
        if (approval is null) return new(ApprovalOutcome.NotFound, $"There is no approval #{id}.", null);

        var snapshot = await policy.SnapshotAsync(cancellationToken);
        var mayApprove = policy.Catalog.Find(verb) is { } definition
            ? snapshot.MayUse(approver, definition)
            : approver.Roles.Contains(Roles.Approver) || approver.Roles.Contains(Roles.Admin);
        if (!mayApprove)
        {
            await audit.RecordAsync(approver.Id, "approval.refused", id, "denied", $"{verb}: not an approver", cancellationToken);
            return new(ApprovalOutcome.NotAllowed, $"You ({approver.DisplayName}) may not {verb} requests: that needs the approver role.", approval);
        }

        if (approval.State != ApprovalState.Pending)
            return new(ApprovalOutcome.NotPending, $"#{id} was already {Describe(approval)}.", approval);

        var now = time.GetUtcNow();
        if (now >= approval.ExpiresAt)
        {
            await ExpireAsync(approval, now, cancellationToken);
            return new(ApprovalOutcome.NotPending, $"#{id} expired at {approval.ExpiresAt:HH:mm} UTC; ask {approval.Requester.DisplayName} to request it again.", approval);
        }

        if (approve && approval.Requester.UserId == approver.Id)
        {
            await audit.RecordAsync(approver.Id, "approval.refused", id, "denied", "self-approval", cancellationToken);
            await PublishAsync(approval, ApprovalDecisions.Refused, by, $"{by.DisplayName} cannot approve their own request; a different approver is needed.", cancellationToken);
            return new(ApprovalOutcome.SelfApproval, $"You cannot approve your own request #{id}: a different person with the approver role must.", approval);
        }

        if (approve)
        {
            var waiting = (await commands.ListByRequestAsync(approval.RequestId, cancellationToken))
                .Where(c => c.State == CommandState.AwaitingApproval).ToList();
            if (!ApprovalFingerprint.Matches(approval, waiting))
            {
                await audit.RecordAsync(approver.Id, "approval.refused", id, "denied", "the stored commands no longer match the requested fingerprint", cancellationToken);
                await PublishAsync(approval, ApprovalDecisions.Refused, by, "the commands no longer match what was requested; nothing was run.", cancellationToken);
                return new(ApprovalOutcome.Mismatch, $"#{id} cannot be approved: the commands waiting no longer match what was requested (sha256 {ApprovalFingerprint.Short(approval.Fingerprint)}).", approval);
            }
        }

        var cleanReason = string.IsNullOrWhiteSpace(reason) ? null : TextHygiene.Escape(reason.Trim());
        if (cleanReason is { Length: > 500 }) cleanReason = cleanReason[..500];
        var state = approve ? ApprovalState.Approved : ApprovalState.Denied;
        if (!await approvals.TryDecideAsync(id, state, approver.Id, approver.DisplayName, cleanReason, now, cancellationToken))
        {
            var current = await approvals.GetAsync(id, cancellationToken) ?? approval;
            return new(ApprovalOutcome.NotPending, $"#{id} was already {Describe(current)}.", current);
        }

        await audit.RecordAsync(approver.Id, action, id, approve ? "approved" : "denied",
            $"{TextHygiene.Escape(approval.Text)} requested by {approval.Requester.UserId}; sha256 {approval.Fingerprint}{(cleanReason is null ? "" : "; reason: " + cleanReason)}", cancellationToken);
        await PublishAsync(approval, approve ? ApprovalDecisions.Approved : ApprovalDecisions.Denied, by, cleanReason, cancellationToken);
        var decided = approval with { State = state, DecidedByUserId = approver.Id, DecidedByName = approver.DisplayName, DecidedAt = now, Reason = cleanReason };
        return approve
            ? new(ApprovalOutcome.Approved, $"Approved #{id}: `{TextHygiene.Escape(approval.Text)}` requested by {approval.Requester.DisplayName} will run on {string.Join(", ", approval.Servers)}.", decided)
            : new(ApprovalOutcome.Denied, $"Denied #{id}: `{TextHygiene.Escape(approval.Text)}` requested by {approval.Requester.DisplayName} will not run.", decided);
    }

    private async Task<bool> ExpireAsync(ApprovalRequest approval, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await Required().TryDecideAsync(approval.Id, ApprovalState.Expired, null, null, "approval expired", now, cancellationToken)) return false;
        await audit.RecordAsync("system", "approval.expired", approval.Id, "expired", $"nobody decided within {Format(options.Value.Expiry)}", cancellationToken);
        await PublishAsync(approval, ApprovalDecisions.Expired, null, "approval expired", cancellationToken);
        return true;
    }

    private Task PublishAsync(ApprovalRequest approval, string decision, Requester? by, string? reason, CancellationToken cancellationToken) =>
        events.PublishAsync(ApprovalEventTypes.Decided, approval.Target, new ApprovalDecided(approval.Id, decision, by, reason, approval.Fingerprint, approval.ReplyTo), cancellationToken);

    private static string Describe(ApprovalRequest approval) => approval.State switch
    {
        ApprovalState.Approved => $"approved by {approval.DecidedByName}",
        ApprovalState.Denied => $"denied by {approval.DecidedByName}",
        ApprovalState.Expired => "expired",
        ApprovalState.Cancelled => "cancelled",
        _ => "decided",
    };

    /// <summary>"15 min", "90 s", "2 h" for messages.</summary>
    public static string Format(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalMinutes % 60 == 0 ? $"{(int)span.TotalHours} h"
        : span.TotalMinutes >= 1 && span.TotalSeconds % 60 == 0 ? $"{(int)span.TotalMinutes} min"
        : $"{(int)span.TotalSeconds} s";

    private static string Normalize(string? id) => (id ?? "").Trim().TrimStart('#');

    private IApprovalStore Required() =>
        store ?? throw new InvalidOperationException("approvals need an IApprovalStore (register the SQLite or PostgreSQL access stores)");
}
