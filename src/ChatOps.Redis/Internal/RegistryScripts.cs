namespace ChatOps.Redis.Internal;

/// <summary>
/// The Lua scripts of <see cref="RedisAgentRegistry"/>. Each keeps the entry (a hash with a TTL) and
/// the index (a sorted set of server ids scored by the entry's expiry in Redis milliseconds) in step.
/// </summary>
internal static class RegistryScripts
{
    // Numbers go to Redis through string.format('%d'): Lua's own number-to-string keeps 14 digits.
    // Index scores below "now" are dropped with an exclusive bound because Redis expires a key only
    // once the clock is past its expiry time.
    private const string Now = """
        local time = redis.call('TIME')
        local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

        """;

    /// <summary>
    /// KEYS: entry, index. ARGV: server id, ttl ms, then field/value pairs. Replaces the entry whole
    /// (a field the new connection lacks, such as its version, must not survive from the old one).
    /// </summary>
    public const string Register = Now + """
        local ttl = tonumber(ARGV[2])
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], unpack(ARGV, 3))
        redis.call('PEXPIRE', KEYS[1], ttl)
        redis.call('ZADD', KEYS[2], string.format('%d', nowMs + ttl), ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%d', nowMs))
        return 1
        """;

    /// <summary>KEYS: entry, index. ARGV: server id, connection id, ttl ms. 1 when extended, 0 when not that connection.</summary>
    public const string Refresh = Now + """
        if redis.call('HGET', KEYS[1], 'connectionId') ~= ARGV[2] then return 0 end
        local ttl = tonumber(ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ttl)
        redis.call('ZADD', KEYS[2], string.format('%d', nowMs + ttl), ARGV[1])
        return 1
        """;

    /// <summary>KEYS: entry, index. ARGV: server id, connection id. 1 when removed, 0 when not that connection.</summary>
    public const string Remove = """
        if redis.call('HGET', KEYS[1], 'connectionId') ~= ARGV[2] then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        return 1
        """;

    /// <summary>KEYS: index. Drops the ids whose entry expired and returns the rest.</summary>
    public const string ListLive = Now + """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', nowMs))
        return redis.call('ZRANGE', KEYS[1], 0, -1)
        """;
}
