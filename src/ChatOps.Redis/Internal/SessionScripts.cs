namespace ChatOps.Redis.Internal;

/// <summary>
/// The scripts of <see cref="RedisSessionStore"/>. A session is two fields of the hash
/// <c>session:{user_id}</c>: <c>h:{sid}</c> (the current refresh-token hash) and <c>m:{sid}</c> (its
/// metadata as JSON).
/// </summary>
internal static class SessionScripts
{
    /// <summary>KEYS: the hash. ARGV: sid, token hash, metadata JSON, key lifetime ms. Extends the key's TTL, never shortens it.</summary>
    public const string Create = """
        redis.call('HSET', KEYS[1], 'h:' .. ARGV[1], ARGV[2], 'm:' .. ARGV[1], ARGV[3])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
        return 1
        """;

    /// <summary>
    /// KEYS: the hash. ARGV: sid, presented hash, new hash, new metadata JSON.
    /// Returns 1 rotated, 0 unknown, 2 reused (and the session is deleted).
    /// </summary>
    public const string Rotate = """
        local current = redis.call('HGET', KEYS[1], 'h:' .. ARGV[1])
        if not current then return 0 end
        if current ~= ARGV[2] then
          redis.call('HDEL', KEYS[1], 'h:' .. ARGV[1], 'm:' .. ARGV[1])
          return 2
        end
        redis.call('HSET', KEYS[1], 'h:' .. ARGV[1], ARGV[3], 'm:' .. ARGV[1], ARGV[4])
        return 1
        """;
}
