namespace ChatOps.Core.Ports;

/// <summary>
/// The state key names fixed by the product spec, shared by the Redis adapters (as real keys)
/// and the in-process ones (in logs), so both modes talk about the same thing.
/// </summary>
public static class StateKeys
{
    /// <summary><c>lock:command:{server_id}</c>: the per-server command lock.</summary>
    public static string CommandLock(string serverId) => "lock:command:" + Required(serverId, nameof(serverId));

    /// <summary><c>agent:connections:{server_id}</c>: where an agent is connected.</summary>
    public static string AgentConnection(string serverId) => "agent:connections:" + Required(serverId, nameof(serverId));

    /// <summary><c>metrics:latest:{server_id}</c>: the newest metric snapshot (TTL 60 s).</summary>
    public static string MetricsLatest(string serverId) => "metrics:latest:" + Required(serverId, nameof(serverId));

    /// <summary><c>ratelimit:{user_id}:{endpoint}</c>: a user's calls to one endpoint.</summary>
    public static string RateLimit(string userId, string endpoint) =>
        "ratelimit:" + Required(userId, nameof(userId)) + ":" + Required(endpoint, nameof(endpoint));

    /// <summary><c>session:{user_id}</c>: a user's refresh tokens.</summary>
    public static string SessionKey(string userId) => "session:" + Required(userId, nameof(userId));

    /// <summary><c>ws:subscribers:{server_id}</c>: the web clients watching a server.</summary>
    public static string WsSubscribers(string serverId) => "ws:subscribers:" + Required(serverId, nameof(serverId));

    private static string Required(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }
}
