using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// <see cref="ICommandLock"/> on Redis: <c>lock:command:{server_id}</c> holds a JSON value
/// <c>{owner, token, description, acquiredAt, expiresAt}</c> set with <c>SET NX PX</c>, and
/// <c>lock:fence:{server_id}</c> the last fencing token granted. Acquire, renew and release are each one
/// Lua script, so "check the holder, then act" can never interleave with another node; renew and release
/// act only when both the owner and the token match, so a holder whose lease expired (and was granted to
/// someone else, who got a greater token) cannot touch the new lease.
/// </summary>
public sealed class RedisCommandLock(RedisStateConnection connection) : ICommandLock
{
    private readonly RedisStateConnection _connection = connection ?? throw new ArgumentNullException(nameof(connection));

    public async Task<LockLease?> TryAcquireAsync(string serverId, string ownerId, string description, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerId);
        ArgumentNullException.ThrowIfNull(description);
        StateArguments.RequirePositive(ttl);

        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(
                LockScripts.Acquire,
                [_connection.Key(StateKeys.CommandLock(serverId)), _connection.Key(RedisKeys.LockFence(serverId))],
                [ownerId, description, StateArguments.Milliseconds(ttl)]),
            cancellationToken);

        if (result.Resp2Type != ResultType.Array)
        {
            return null;
        }

        var granted = (RedisResult[])result!;
        var token = (long)granted[0];
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)granted[1]);
        var lease = new LockLease(serverId, ownerId, token, expiresAt);
        var required = RequiredAcks(connectedReplicas: (long)granted[2]);
        var acknowledged = await WaitForReplicasAsync(required, cancellationToken);
        if (acknowledged < required)
        {
            // Not safe to hand out; free it now rather than leave it to its TTL (if this release is lost
            // too, the TTL still frees it).
            await ReleaseQuietlyAsync(lease);
            throw RedisFailures.NotReplicated($"the lock on {serverId}", required, acknowledged, _connection.ReplicaAckTimeout);
        }

        return lease;
    }

    public async Task<bool> RenewAsync(LockLease lease, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        RequireLease(lease);
        StateArguments.RequirePositive(ttl);

        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(
                LockScripts.Renew,
                [_connection.Key(StateKeys.CommandLock(lease.ServerId))],
                [lease.OwnerId, lease.FencingToken, StateArguments.Milliseconds(ttl)]),
            cancellationToken);
        var renewed = (long)result;
        if (renewed == 0)
        {
            return false;
        }

        // A renewal only the old primary saw would leave the promoted replica with the shorter lease, and
        // the lock would pass to someone else while this command still runs.
        var required = RequiredAcks(connectedReplicas: renewed - 1);
        var acknowledged = await WaitForReplicasAsync(required, cancellationToken);
        if (acknowledged < required)
        {
            throw RedisFailures.NotReplicated($"the renewal of the lock on {lease.ServerId}", required, acknowledged, _connection.ReplicaAckTimeout);
        }

        return true;
    }

    public async Task<bool> ReleaseAsync(LockLease lease, CancellationToken cancellationToken = default)
    {
        RequireLease(lease);

        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(
                LockScripts.Release,
                [_connection.Key(StateKeys.CommandLock(lease.ServerId))],
                [lease.OwnerId, lease.FencingToken]),
            cancellationToken);
        return (long)result == 1;
    }

    public async Task<LockHolder?> GetHolderAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);

        var key = _connection.Key(StateKeys.CommandLock(serverId));
        var value = await _connection.RunAsync(db => db.StringGetAsync(key), cancellationToken);
        if (value.IsNull)
        {
            return null;
        }

        var held = LockValue.Parse(value.ToString(), key.ToString());
        return new LockHolder(
            held.Owner,
            held.Token,
            held.Description,
            DateTimeOffset.FromUnixTimeMilliseconds(held.AcquiredAt),
            DateTimeOffset.FromUnixTimeMilliseconds(held.ExpiresAt));
    }

    /// <summary>
    /// WAIT: blocks until the writes this connection made so far (the grant just made among them) reached
    /// the required replicas, or the short timeout passed; returns how many did. StackExchange.Redis sends
    /// it on the same connection as the script, right after it. 0 required: nothing to wait for.
    /// </summary>
    private async Task<long> WaitForReplicasAsync(int required, CancellationToken cancellationToken)
    {
        if (required == 0)
        {
            return 0;
        }

        var waitMs = (long)_connection.ReplicaAckTimeout.TotalMilliseconds;
        var result = await _connection.RunAsync(db => db.ExecuteAsync("WAIT", required, waitMs), cancellationToken);
        return (long)result;
    }

    /// <summary>The configured count, or by default 1 while the primary has a replica connected.</summary>
    private int RequiredAcks(long connectedReplicas) => _connection.LockReplicaAcks ?? (connectedReplicas > 0 ? 1 : 0);

    private async Task ReleaseQuietlyAsync(LockLease lease)
    {
        try
        {
            await ReleaseAsync(lease, CancellationToken.None);
        }
        catch (StateUnavailableException)
        {
            // Its TTL frees it.
        }
    }

    private static void RequireLease(LockLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentException.ThrowIfNullOrWhiteSpace(lease.ServerId, nameof(lease));
        ArgumentException.ThrowIfNullOrWhiteSpace(lease.OwnerId, nameof(lease));
    }
}
