using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// <see cref="IRateLimiter"/> on Redis: an exact sliding-window log per user and endpoint in the sorted
/// set <c>ratelimit:{user_id}:{endpoint}</c>, checked and updated by one Lua script on the Redis clock, so
/// every gateway node shares one budget per user. Refused calls are not counted; the key expires one
/// window after the last allowed call.
/// </summary>
/// <remarks>
/// The key keeps the contract's shape, but both parts are escaped (<c>%</c> → <c>%25</c>, <c>:</c> →
/// <c>%3A</c>) so that ids containing colons cannot collide: user <c>slack:T1/U2</c> on <c>commands</c>
/// is <c>ratelimit:slack%3AT1/U2:commands</c>. Ids without those characters keep their plain names.
/// </remarks>
public sealed class RedisRateLimiter(RedisStateConnection connection) : IRateLimiter
{
    private const long MicrosPerTick = 10;

    private readonly RedisStateConnection _connection = connection ?? throw new ArgumentNullException(nameof(connection));

    public async Task<RateLimitDecision> TryAcquireAsync(string userId, string endpoint, RateLimitPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.Limit, 1, nameof(policy));
        StateArguments.RequirePositive(policy.Window, nameof(policy));

        var windowMicros = Math.Max(1, policy.Window.Ticks / MicrosPerTick);
        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(
                RateLimitScript.TryAcquire,
                [_connection.Key(RedisKeys.RateLimit(userId, endpoint))],
                [policy.Limit, windowMicros, StateArguments.Milliseconds(policy.Window), Guid.NewGuid().ToString("N")]),
            cancellationToken);

        var decision = (RedisResult[])result!;
        return new RateLimitDecision(
            (long)decision[0] == 1,
            (int)(long)decision[1],
            TimeSpan.FromTicks((long)decision[2] * MicrosPerTick));
    }
}
