using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;

namespace ChatOps.Core.Identity;

/// <summary>
/// Turns authenticated credentials into users and answers role questions. With an
/// <see cref="IdentityCache"/>, verified lookups are kept for a few seconds (failed ones never are);
/// whoever changes a user, a key or an identity calls the matching <c>Forget…</c> method.
/// </summary>
public sealed class UserDirectory(IUserStore users, IdentityCache? cache = null)
{
    private const string KeyPrefix = "apikey:";
    private const string UserPrefix = "userid:";

    /// <summary>The user behind an API key, or null for an unknown or revoked key.</summary>
    public async Task<(User User, ApiKey Key)?> AuthenticateApiKeyAsync(string presentedKey, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(presentedKey) || presentedKey.Length > 512) return null;
        // Keyed by the hash, so the cache holds no usable secret.
        var hash = Secrets.Hash(presentedKey);
        if (cache is not null && cache.TryGetIdentity(KeyPrefix + hash, out var cachedUser, out var cachedKey) && cachedKey is not null)
            return (cachedUser, cachedKey);

        var generation = cache?.Generation ?? 0;
        var key = await users.FindApiKeyByHashAsync(hash, cancellationToken);
        if (key is null || key.RevokedAt is not null) return null;
        var user = await users.GetUserAsync(key.UserId, cancellationToken);
        if (user is null) return null;
        cache?.StoreIdentity(KeyPrefix + hash, user, key, generation);
        return (user, key);
    }

    public async Task<User?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        if (cache is null) return await users.FindByIdentityAsync(identity, cancellationToken);
        if (cache.TryGetIdentity(IdentityCache.IdentityKey(identity), out var cached, out _)) return cached;
        var generation = cache.Generation;
        var user = await users.FindByIdentityAsync(identity, cancellationToken);
        if (user is not null) cache.StoreIdentity(IdentityCache.IdentityKey(identity), user, null, generation);
        return user;
    }

    public async Task<User?> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        if (cache is null) return await users.GetUserAsync(userId, cancellationToken);
        if (cache.TryGetIdentity(UserPrefix + userId, out var cached, out _)) return cached;
        var generation = cache.Generation;
        var user = await users.GetUserAsync(userId, cancellationToken);
        if (user is not null) cache.StoreIdentity(UserPrefix + userId, user, null, generation);
        return user;
    }

    /// <summary>After a user was created, changed (roles, name) or removed: every cached way to them goes, here and elsewhere.</summary>
    public Task ForgetUserAsync(string userId, CancellationToken cancellationToken = default) =>
        cache?.InvalidateUserAsync(userId, cancellationToken) ?? Task.CompletedTask;

    /// <summary>After an API key was revoked.</summary>
    public Task ForgetApiKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        cache?.InvalidateApiKeyAsync(keyId, cancellationToken) ?? Task.CompletedTask;

    /// <summary>After a chat identity was linked to someone else or unlinked.</summary>
    public Task ForgetIdentityAsync(string identity, CancellationToken cancellationToken = default) =>
        cache?.InvalidateIdentityAsync(identity, cancellationToken) ?? Task.CompletedTask;

    /// <summary>True when the user has one of <paramref name="allowed"/>; admins may do everything.</summary>
    public static bool HasAnyRole(User user, IReadOnlyCollection<string> allowed) =>
        user.Roles.Contains(Roles.Admin) || user.Roles.Any(allowed.Contains);
}
