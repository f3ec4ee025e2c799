namespace ChatOps.Redis.Internal;

/// <summary>
/// The Lua scripts of <see cref="RedisCommandLock"/>. Each runs atomically on the server, and reads
/// the time from Redis (<c>TIME</c>), the clock that also expires the key, so the times a lease
/// reports are those Redis enforces whatever the gateway machines' clocks say.
/// </summary>
internal static class LockScripts
{
    // The value is written field by field rather than with cjson.encode, which would print 16-digit
    // tokens in exponent form (it keeps 14 significant digits); %d prints them exactly.
    private const string Helpers = """
        local function encode(owner, token, description, acquiredAt, expiresAt)
          return '{"owner":' .. cjson.encode(owner)
            .. ',"token":' .. string.format('%d', token)
            .. ',"description":' .. cjson.encode(description)
            .. ',"acquiredAt":' .. string.format('%d', acquiredAt)
            .. ',"expiresAt":' .. string.format('%d', expiresAt) .. '}'
        end
        -- Replicas connected to this primary, for the caller's WAIT; 0 when INFO is not allowed here.
        local function connectedReplicas()
          local ok, info = pcall(redis.call, 'INFO', 'replication')
          if not ok then return 0 end
          return tonumber(string.match(info, 'connected_slaves:(%d+)') or '0')
        end
        local time = redis.call('TIME')
        local seconds, micros = tonumber(time[1]), tonumber(time[2])
        local nowMs = seconds * 1000 + math.floor(micros / 1000)

        """;

    /// <summary>
    /// KEYS: lock, fence. ARGV: owner, description, ttl ms. Returns {token, expiresAt ms, connected replicas} or 0 when held.
    /// The token is the larger of the last token + 1 and the Redis clock in microseconds: strictly growing
    /// on one Redis, and still greater than every earlier token after Redis lost its data (a restart
    /// without persistence, a failover to a replica that lagged), which a plain INCR would restart at 1,
    /// making agents (which remember the highest token they honoured) refuse every command.
    /// </summary>
    public const string Acquire = Helpers + """
        local last = tonumber(redis.call('GET', KEYS[2]) or '0')
        local token = math.max(last + 1, seconds * 1000000 + micros)
        local ttl = tonumber(ARGV[3])
        local expiresAt = nowMs + ttl
        if not redis.call('SET', KEYS[1], encode(ARGV[1], token, ARGV[2], nowMs, expiresAt), 'NX', 'PX', ttl) then
          return 0
        end
        redis.call('SET', KEYS[2], string.format('%d', token))
        return {string.format('%d', token), string.format('%d', expiresAt), connectedReplicas()}
        """;

    /// <summary>KEYS: lock. ARGV: owner, token, ttl ms. Returns 1 + connected replicas when renewed, 0 when the lease is not the holder.</summary>
    public const string Renew = Helpers + """
        local value = redis.call('GET', KEYS[1])
        if not value then return 0 end
        local held = cjson.decode(value)
        if held.owner ~= ARGV[1] or held.token ~= tonumber(ARGV[2]) then return 0 end
        local ttl = tonumber(ARGV[3])
        redis.call('SET', KEYS[1], encode(held.owner, held.token, held.description, held.acquiredAt, nowMs + ttl), 'PX', ttl)
        return 1 + connectedReplicas()
        """;

    /// <summary>KEYS: lock. ARGV: owner, token. Returns 1 when released, 0 when the lease is not the holder.</summary>
    public const string Release = """
        local value = redis.call('GET', KEYS[1])
        if not value then return 0 end
        local held = cjson.decode(value)
        if held.owner ~= ARGV[1] or held.token ~= tonumber(ARGV[2]) then return 0 end
        redis.call('DEL', KEYS[1])
        return 1
        """;
}
