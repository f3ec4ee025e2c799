namespace ChatOps.Core.Ports;

/// <summary>A held lock. <see cref="FencingToken"/> grows with every grant on the key, even across expiry.</summary>
public sealed record LockLease(string ServerId, string OwnerId, long FencingToken, DateTimeOffset ExpiresAt);

/// <summary>Who holds a lock, for "held by #id (alice, restart, 40 s)" replies.</summary>
public sealed record LockHolder(string OwnerId, long FencingToken, string Description, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt);

/// <summary>
/// <c>lock:command:{server_id}</c>: at most one command per server at a time.
/// A lock only avoids duplicate work; correctness comes from the fencing token, which the agent
/// checks (a paused holder whose lease expired carries a smaller token and is refused).
/// Failure contract: infrastructure errors throw <see cref="StateUnavailableException"/>; a lock that
/// is held by someone else is not an error (<c>null</c> / <c>false</c>).
/// </summary>
public interface ICommandLock
{
    /// <summary>Takes the lock if free (or expired). Returns null when someone else holds it.</summary>
    Task<LockLease?> TryAcquireAsync(string serverId, string ownerId, string description, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Extends the lease; false when it is no longer ours (expired and taken, or released).</summary>
    Task<bool> RenewAsync(LockLease lease, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Releases the lock only if <paramref name="lease"/> still owns it; false otherwise.</summary>
    Task<bool> ReleaseAsync(LockLease lease, CancellationToken cancellationToken = default);

    Task<LockHolder?> GetHolderAsync(string serverId, CancellationToken cancellationToken = default);
}

/// <summary>The state backend (Redis or in-process) cannot answer now. Commands fail fast with a clear reply.</summary>
public sealed class StateUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
