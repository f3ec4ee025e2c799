namespace ChatOps.Core.Domain;

/// <summary>
/// Who asked, as established by authentication only (an API key, a verified Slack
/// team+user id, a validated Teams token): never from a name in the request body.
/// </summary>
/// <param name="UserId">The ChatOps user id.</param>
/// <param name="Identity">The authenticated identity, e.g. <c>slack:T1/U2</c>, <c>apikey:k1</c>.</param>
/// <param name="DisplayName">For messages only; never used to authorise.</param>
public sealed record Requester(string UserId, string Identity, string DisplayName);
