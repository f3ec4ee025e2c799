namespace ChatOps.Slack.Internal;

/// <summary>
/// What a thread's root message says about the request that opened it: who asked (by Slack id, so
/// the mention is exact) and for what.
/// </summary>
internal sealed record RootRequest(string RequestId, string? SlackUserId, string RequesterName, string CommandText, string Target, bool SingleServer);
