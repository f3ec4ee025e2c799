namespace ChatOps.Redis.Internal;

/// <summary>
/// The sliding-window log of <see cref="RedisRateLimiter"/>: a sorted set of the allowed calls of the
/// last window, scored by their Redis time in microseconds. One script, so two nodes deciding for the
/// same user at once cannot both take the last place.
/// </summary>
internal static class RateLimitScript
{
    /// <summary>
    /// KEYS: log. ARGV: limit, window µs, window ms (for the key's TTL), a unique member suffix.
    /// Returns {allowed 1/0, remaining, retry-after µs}.
    /// </summary>
    public const string TryAcquire = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
        local count = redis.call('ZCARD', KEYS[1])
        if count < limit then
          redis.call('ZADD', KEYS[1], string.format('%d', now), string.format('%d', now) .. ':' .. ARGV[4])
          redis.call('PEXPIRE', KEYS[1], ARGV[3])
          return {1, limit - count - 1, 0}
        end
        -- Room appears when all but limit-1 of the counted calls have left the window (usually just the
        -- oldest; more when the limit was lowered since they were counted).
        local mustLeave = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
        return {0, 0, tonumber(mustLeave[2]) + window - now}
        """;
}
