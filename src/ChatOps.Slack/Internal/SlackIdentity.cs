using ChatOps.Core.Domain;
using ChatOps.Core.Identity;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Slack (team id, user id) → ChatOps user. Only the ids Slack vouched for are used: never
/// <c>user_name</c>, display names or mentions in the text. <c>slack:{team}/{user}</c> is tried
/// first, then <c>slack:{user}</c> (how <c>ChatOps:Bootstrap:Admins</c> links admins).
/// </summary>
internal sealed class SlackIdentity(UserDirectory users)
{
    public static string IdentityOf(string teamId, string userId) => $"slack:{teamId}/{userId}";

    public async Task<Requester?> ResolveAsync(string teamId, string userId, CancellationToken cancellationToken)
    {
        if (!SlackIds.IsUserId(userId)) return null;
        var identity = IdentityOf(teamId, userId);
        var user = await users.FindByIdentityAsync(identity, cancellationToken)
            ?? await users.FindByIdentityAsync($"slack:{userId}", cancellationToken);
        return user is null ? null : new Requester(user.Id, identity, user.DisplayName);
    }

    public Task<User?> UserAsync(Requester requester, CancellationToken cancellationToken) => users.GetAsync(requester.UserId, cancellationToken);

    public static string NotMapped(string teamId, string userId) =>
        $"You ({IdentityOf(teamId, userId)}) are not mapped to a ChatOps user, so nothing was run. Ask an admin to link your Slack account.";
}
