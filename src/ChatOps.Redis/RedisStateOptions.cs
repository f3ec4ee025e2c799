using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// Settings of the Redis state backend (<c>ChatOps:State=redis</c>), bound from <c>ChatOps:Redis:*</c>.
/// Checked at start-up by <see cref="Validate"/>, every problem reported at once.
/// </summary>
public sealed class RedisStateOptions
{
    /// <summary>The configuration section these options come from.</summary>
    public const string Section = "ChatOps:Redis";

    private const int MaxLockReplicaAcks = 16;

    /// <summary>
    /// <c>ChatOps:Redis:Configuration</c>: a StackExchange.Redis configuration string, e.g.
    /// <c>127.0.0.1:6379</c> or <c>redis.internal:6379,password=...,ssl=true</c>. Required.
    /// </summary>
    public string Configuration { get; set; } = string.Empty;

    /// <summary>
    /// <c>ChatOps:Redis:KeyPrefix</c>: put before every key and channel name, so several installations
    /// (or tests) can share one Redis without seeing each other. Empty by default: the keys are exactly
    /// the product's names (<c>lock:command:web-3</c>).
    /// </summary>
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary><c>ChatOps:Redis:MetricsTtl</c>: how long <c>metrics:latest:{server_id}</c> lives (60 s by the spec).</summary>
    public TimeSpan MetricsTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><c>ChatOps:Redis:ConnectTimeout</c>: how long one connection attempt may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// <c>ChatOps:Redis:OperationTimeout</c>: how long a command may wait for Redis's answer before it
    /// fails with "unreachable". Short, so a chat command fails fast instead of hanging.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// <c>ChatOps:Redis:LockReplicaAcks</c>: how many replicas must hold a command lock (checked with
    /// <c>WAIT</c>) before it is granted or renewed. Redis replicates asynchronously, so without this a lock
    /// granted just before the primary dies can be missing on the promoted replica, and a second command
    /// would run on the same server beside the first. Empty (the default): 1 whenever the primary has a
    /// replica connected, none when it has none (a lone Redis, or the survivor of a failover, keeps
    /// granting locks). A number: always that many; then no lock is granted while fewer replicas answer
    /// (commands get "try again"), which also covers a failover to a replica whose link was down.
    /// </summary>
    public int? LockReplicaAcks { get; set; }

    /// <summary>Every problem with these settings, each naming its configuration key; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            failures.Add($"{Section}:Configuration is empty: set it to the Redis server, e.g. 127.0.0.1:6379");
        }
        else
        {
            try
            {
                if (ConfigurationOptions.Parse(Configuration).EndPoints.Count == 0)
                {
                    failures.Add($"{Section}:Configuration names no server: give host:port, e.g. 127.0.0.1:6379");
                }
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{Section}:Configuration cannot be read: {ex.Message}");
            }
        }

        if (KeyPrefix is null)
        {
            failures.Add($"{Section}:KeyPrefix must not be null (leave it empty for no prefix)");
        }
        else if (KeyPrefix.Any(char.IsControl) || KeyPrefix.Any(char.IsWhiteSpace))
        {
            failures.Add($"{Section}:KeyPrefix must not contain spaces or control characters, e.g. use \"chatops-staging:\"");
        }

        if (LockReplicaAcks is < 0 or > MaxLockReplicaAcks)
        {
            failures.Add($"{Section}:LockReplicaAcks must be between 0 and {MaxLockReplicaAcks} (or empty for: 1 while a replica is connected), not {LockReplicaAcks}");
        }

        RequireDuration(failures, nameof(MetricsTtl), MetricsTtl);
        RequireDuration(failures, nameof(ConnectTimeout), ConnectTimeout);
        RequireDuration(failures, nameof(OperationTimeout), OperationTimeout);
        return failures;
    }

    private static void RequireDuration(List<string> failures, string name, TimeSpan value)
    {
        if (value < TimeSpan.FromMilliseconds(1) || value.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"{Section}:{name} must be a duration of at least 1 ms, not {value}");
        }
    }
}
