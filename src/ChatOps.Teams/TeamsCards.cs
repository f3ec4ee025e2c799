namespace ChatOps.Teams;

/// <summary>What an approval card shows: a command that waits for a second person, with Approve and Deny.</summary>
public sealed record TeamsApprovalCard(string CommandId, string CommandText, string Target, string RequestedBy, string? Reason = null);

/// <summary>What an alert card shows, with Acknowledge, Resolve, Run runbook (when one is named) and Silence.</summary>
public sealed record TeamsAlertCard(
    string AlertId,
    string Title,
    string Severity,
    string ServerId,
    string Summary,
    string? Runbook = null,
    DateTimeOffset? Since = null);
