namespace ChatOps.Core.Domain;

/// <summary>An append-only audit entry: who did what to what, and how it ended.</summary>
/// <param name="Id">Unique; appending the same id twice keeps one entry.</param>
/// <param name="Actor">User id or <c>system</c> or <c>agent:{server}</c>.</param>
/// <param name="Action">e.g. <c>command.requested</c>, <c>agent.refused</c>, <c>apikey.created</c>.</param>
/// <param name="Target">What it was done to (server id, command id, user id), if anything.</param>
/// <param name="Outcome">e.g. <c>ok</c>, <c>denied</c>, <c>failed</c>.</param>
/// <param name="Detail">Free text, already safe to show (escaped control characters).</param>
public sealed record AuditEvent(string Id, DateTimeOffset At, string Actor, string Action, string? Target, string Outcome, string? Detail);

public sealed record AuditQuery(DateTimeOffset? Since = null, string? Actor = null, string? Action = null, string? Target = null, int Limit = 100);
