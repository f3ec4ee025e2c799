using ChatOps.Core.Ports;

namespace ChatOps.Embedded.State;

/// <summary>
/// The in-process <see cref="ICommandLock"/>: one lease per server with a TTL on the injected clock.
/// The fencing counter of a server outlives its leases (release and expiry never reset it), so every
/// grant carries a token strictly greater than all earlier ones. A token is never below the clock in
/// microseconds since the epoch: the counter lives in memory, and after a restart of the process it must
/// still exceed the tokens agents saw (and saved) before it, or they would refuse every command.
/// </summary>
public sealed class InMemoryCommandLock(TimeProvider? timeProvider = null) : ICommandLock
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Held> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastToken = new(StringComparer.Ordinal);

    public Task<LockLease?> TryAcquireAsync(string serverId, string ownerId, string description, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerId);
        ArgumentNullException.ThrowIfNull(description);
        StateArguments.RequirePositive(ttl);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            if (_held.TryGetValue(serverId, out var current) && current.ExpiresAt > now)
            {
                return Task.FromResult<LockLease?>(null);
            }

            var token = Math.Max(_lastToken.GetValueOrDefault(serverId) + 1, (now - DateTimeOffset.UnixEpoch).Ticks / 10);
            _lastToken[serverId] = token;
            var held = new Held(ownerId, token, description, now, now + ttl);
            _held[serverId] = held;
            return Task.FromResult<LockLease?>(new LockLease(serverId, ownerId, token, held.ExpiresAt));
        }
    }

    public Task<bool> RenewAsync(LockLease lease, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StateArguments.RequirePositive(ttl);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            if (!IsHeldBy(lease, now, out var held))
            {
                return Task.FromResult(false);
            }

            _held[lease.ServerId] = held with { ExpiresAt = now + ttl };
            return Task.FromResult(true);
        }
    }

    public Task<bool> ReleaseAsync(LockLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            if (!IsHeldBy(lease, _time.GetUtcNow(), out _))
            {
                return Task.FromResult(false);
            }

            _held.Remove(lease.ServerId);
            return Task.FromResult(true);
        }
    }

    public Task<LockHolder?> GetHolderAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            if (!_held.TryGetValue(serverId, out var held) || held.ExpiresAt <= _time.GetUtcNow())
            {
                return Task.FromResult<LockHolder?>(null);
            }

            return Task.FromResult<LockHolder?>(new LockHolder(held.OwnerId, held.Token, held.Description, held.AcquiredAt, held.ExpiresAt));
        }
    }

    // An expired lease no longer owns anything, even before someone else takes the lock (as in Redis,
    // where the key is gone).
    private bool IsHeldBy(LockLease lease, DateTimeOffset now, out Held held) =>
        _held.TryGetValue(lease.ServerId ?? string.Empty, out held!)
        && held.ExpiresAt > now
        && held.Token == lease.FencingToken
        && string.Equals(held.OwnerId, lease.OwnerId, StringComparison.Ordinal);

    private sealed record Held(string OwnerId, long Token, string Description, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt);
}
