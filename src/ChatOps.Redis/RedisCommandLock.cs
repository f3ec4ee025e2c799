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
        return new LockLease(serverId, ownerId, token, expiresAt);
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
        return (long)result == 1;
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

    private static void RequireLease(LockLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentException.ThrowIfNullOrWhiteSpace(lease.ServerId, nameof(lease));
        ArgumentException.ThrowIfNullOrWhiteSpace(lease.OwnerId, nameof(lease));
    }
}
