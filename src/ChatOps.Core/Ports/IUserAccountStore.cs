namespace ChatOps.Core.Ports;

/// <summary>
/// What account administration needs beyond <see cref="IUserStore"/>: local passwords (only their
/// hashes) and removing a chat identity from a user.
/// </summary>
public interface IUserAccountStore
{
    /// <summary>Sets the user's password hash (a PBKDF2 string from <c>PasswordHasher</c>).</summary>
    Task SetPasswordHashAsync(string userId, string passwordHash, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The hash, or null when the user has no local password (chat-only or API-key-only users).</summary>
    Task<string?> GetPasswordHashAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Unlinks a chat identity; false when it was not linked.</summary>
    Task<bool> UnlinkIdentityAsync(string identity, CancellationToken cancellationToken = default);
}
