namespace ChatOps.Redis.Internal;

/// <summary>
/// The Lua scripts of <see cref="RedisLiveSubscriptions"/>: <c>ws:subscribers:{server_id}</c> is a sorted
/// set of subscriber ids scored by when their lease lapses, in Redis milliseconds (Redis's own clock, so
/// nodes with skewed clocks agree on who is live).
/// </summary>
internal static class LiveSubscriptionScripts
{
    // Numbers go to Redis through string.format('%d'): Lua's own number-to-string keeps 14 digits.
    private const string Now = """
        local time = redis.call('TIME')
        local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

        """;

    /// <summary>
    /// KEYS: the set. ARGV: subscriber id, ttl ms. Drops lapsed members, adds or renews this one, and keeps
    /// the key itself alive at least as long as its newest lease, so a set whose every node died goes away.
    /// </summary>
    public const string Add = Now + """
        local ttl = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', nowMs))
        redis.call('ZADD', KEYS[1], string.format('%d', nowMs + ttl), ARGV[1])
        if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
        return 1
        """;

    /// <summary>KEYS: the set. The members whose lease ends after now (read-only: lapsed ones are dropped by the next add).</summary>
    public const string Members = Now + """
        return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%d', nowMs), '+inf')
        """;

    /// <summary>KEYS: the set. How many leases end after now.</summary>
    public const string Count = Now + """
        return redis.call('ZCOUNT', KEYS[1], '(' .. string.format('%d', nowMs), '+inf')
        """;
}
