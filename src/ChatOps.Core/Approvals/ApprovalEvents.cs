using ChatOps.Core.Domain;

namespace ChatOps.Core.Approvals;

// Approval steps travel on commands-topic (key = the request's target expression) beside the
// command lifecycle, so the router and the notifications see them in order with the request.

/// <summary>Envelope type names of the approval steps.</summary>
public static class ApprovalEventTypes
{
    public const string Requested = "approval.requested";
    public const string Decided = "approval.decided";
}

/// <summary>The decisions <see cref="ApprovalDecided.Decision"/> can carry.</summary>
public static class ApprovalDecisions
{
    public const string Approved = "approved";
    public const string Denied = "denied";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";

    /// <summary>Someone tried and was refused (self-approval, not an approver, a changed command); the approval stays pending.</summary>
    public const string Refused = "refused";
}

/// <summary>A high-risk request now waits for a second person.</summary>
public sealed record ApprovalRequested(
    string ApprovalId,
    string CommandName,
    string Target,
    IReadOnlyList<string> Servers,
    string Text,
    string Fingerprint,
    Requester Requester,
    DateTimeOffset ExpiresAt,
    ChatRef ReplyTo);

/// <summary>A step of an approval: decided, expired, cancelled, or an attempt that was refused.</summary>
public sealed record ApprovalDecided(
    string ApprovalId,
    string Decision,
    Requester? By,
    string? Reason,
    string Fingerprint,
    ChatRef ReplyTo);
