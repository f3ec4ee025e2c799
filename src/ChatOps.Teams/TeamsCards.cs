namespace ChatOps.Teams;

/// <summary>What an approval card shows: a command that waits for a second person, with Approve and Deny.</summary>
public sealed record TeamsApprovalCard(string CommandId, string CommandText, string Target, string RequestedBy, string? Reason = null);
