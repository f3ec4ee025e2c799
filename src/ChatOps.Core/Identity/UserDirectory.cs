using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;

namespace ChatOps.Core.Identity;

/// <summary>Turns authenticated credentials into users and answers role questions.</summary>
public sealed class UserDirectory(IUserStore users)
{
    /// <summary>The user behind an API key, or null for an unknown or revoked key.</summary>
    public async Task<(User User, ApiKey Key)?> AuthenticateApiKeyAsync(string presentedKey, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(presentedKey) || presentedKey.Length > 512) return null;
        var key = await users.FindApiKeyByHashAsync(Secrets.Hash(presentedKey), cancellationToken);
        if (key is null || key.RevokedAt is not null) return null;
        var user = await users.GetUserAsync(key.UserId, cancellationToken);
        return user is null ? null : (user, key);
    }

    public Task<User?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default) =>
        users.FindByIdentityAsync(identity, cancellationToken);

    public Task<User?> GetAsync(string userId, CancellationToken cancellationToken = default) =>
        users.GetUserAsync(userId, cancellationToken);

    /// <summary>True when the user has one of <paramref name="allowed"/>; admins may do everything.</summary>
    public static bool HasAnyRole(User user, IReadOnlyCollection<string> allowed) =>
        user.Roles.Contains(Roles.Admin) || user.Roles.Any(allowed.Contains);
}
