namespace ChatOps.Core.Ports;

/// <summary>
/// One signed-in session of a user: the hash of its current refresh token and when it ends.
/// <see cref="Id"/> is random and also travels in the user's access tokens, so revoking the
/// session cuts those off at their next request.
/// </summary>
public sealed record RefreshSession(
    string Id,
    string UserId,
    string TokenHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset LastUsedAt,
    string? Client);

/// <summary>What happened to a refresh token presented for rotation.</summary>
public enum RotationOutcome
{
    /// <summary>It was the session's current token; the new one replaces it.</summary>
    Rotated,

    /// <summary>No such session (logged out, revoked or expired).</summary>
    Unknown,

    /// <summary>
    /// The session exists but the token is an older one: someone kept a copy. The session is
    /// revoked, so neither the thief nor the user can use it again (refresh-token reuse detection).
    /// </summary>
    Reused,
}

/// <summary>
/// <c>session:{user_id}</c>: the refresh-token sessions of each user (in-process, or a Redis hash in
/// scale mode). Failure contract: infrastructure errors throw <see cref="StateUnavailableException"/>
/// (sign-in then fails with a clear "try again"); an unknown or expired session is not an error.
/// </summary>
public interface ISessionStore
{
    /// <summary>Adds a session; its key lives at least until <see cref="RefreshSession.ExpiresAt"/>.</summary>
    Task CreateAsync(RefreshSession session, CancellationToken cancellationToken = default);

    /// <summary>The session, or null when it does not exist or has expired.</summary>
    Task<RefreshSession?> GetAsync(string userId, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the session's token hash with <paramref name="newTokenHash"/> only if the current hash
    /// is <paramref name="presentedTokenHash"/> (a compare-and-swap, so two racing refreshes with the
    /// same token cannot both win). A mismatch revokes the session and answers <see cref="RotationOutcome.Reused"/>.
    /// </summary>
    Task<RotationOutcome> RotateAsync(string userId, string sessionId, string presentedTokenHash, string newTokenHash, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Live sessions of the user, oldest first.</summary>
    Task<IReadOnlyList<RefreshSession>> ListAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Ends one session; false when it did not exist.</summary>
    Task<bool> RevokeAsync(string userId, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Ends every session of the user; returns how many there were.</summary>
    Task<int> RevokeAllAsync(string userId, CancellationToken cancellationToken = default);
}
