namespace ChatOps.Kafka;

/// <summary>
/// Settings of <see cref="KafkaEventBus"/>, bound from section <c>ChatOps:Kafka</c>. Only
/// <see cref="BootstrapServers"/> is required; the defaults suit a three-broker production cluster.
/// </summary>
public sealed class KafkaBusOptions
{
    /// <summary>The configuration section these options are bound from; every validation message names its key under it.</summary>
    public const string Section = "ChatOps:Kafka";

    /// <summary>Comma-separated <c>host:port</c> list of brokers to bootstrap from.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Sent to the brokers with every request (their logs and quotas name it).</summary>
    public string ClientId { get; set; } = "chatops";

    /// <summary>Partitions of the topics the bus creates; keys spread over them, so this bounds consumer parallelism.</summary>
    public int Partitions { get; set; } = 12;

    /// <summary>Copies of each partition in the topics the bus creates. 3 in production; 1 is allowed for a one-broker dev cluster.</summary>
    public short ReplicationFactor { get; set; } = 3;

    /// <summary>
    /// <c>min.insync.replicas</c> of the topics the bus creates: with <c>acks=all</c> a write is refused
    /// (and <see cref="Core.Ports.IEventBus.PublishAsync"/> fails) when fewer replicas are in sync.
    /// </summary>
    public int MinInsyncReplicas { get; set; } = 2;

    /// <summary>
    /// How long the producer waits to batch messages (<c>linger.ms</c>). None by default: a command's
    /// round trip crosses the bus several times and paid the wait at every hop (scale-mode round trip
    /// p50 33 ms with 2 ms, 23 ms with none), while librdkafka still batches whatever queues up behind a
    /// request in flight, so throughput under load did not suffer (router-scale 301–323 commands/s with
    /// none, 259–262 with 2 ms).
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.Zero;

    /// <summary>Messages the producer buffers locally while brokers are slow or away (<c>queue.buffering.max.messages</c>).</summary>
    public int QueueBufferingMaxMessages { get; set; } = 100_000;

    /// <summary>Kilobytes the producer buffers locally (<c>queue.buffering.max.kbytes</c>).</summary>
    public int QueueBufferingMaxKbytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How long a publish waits for room when the local buffer is full before it fails with
    /// <see cref="Core.Ports.BusUnavailableException"/> (back-pressure, never an unbounded queue).
    /// </summary>
    public TimeSpan BufferFullWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a publish may take, retries included, before it fails with
    /// <see cref="Core.Ports.BusUnavailableException"/> (<c>message.timeout.ms</c>).
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest serialized envelope accepted; keep it at or below the brokers' <c>message.max.bytes</c>.</summary>
    public int MessageMaxBytes { get; set; } = 1_000_000;

    /// <summary>How long a broker holds a fetch that found nothing (<c>fetch.wait.max.ms</c>): the idle latency of consumers.</summary>
    public TimeSpan FetchWaitMax { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A consumer silent this long is dropped from its group and its partitions move (<c>session.timeout.ms</c>).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How often consumers heartbeat (<c>heartbeat.interval.ms</c>); also how fast they notice a rebalance.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long <see cref="Core.Ports.IEventBus.SubscribeAsync"/> waits to join its group before it fails.</summary>
    public TimeSpan JoinTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a consumer commits what its handlers finished (and always on rebalance and on leaving).</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// On a rebalance, how long a message in hand may run before its handler's token is cancelled
    /// (it is then redelivered to the partition's next owner).
    /// </summary>
    public TimeSpan RebalanceGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Fetched messages a consumer holds per partition before it pauses fetching that partition.</summary>
    public int MaxBufferedPerPartition { get; set; } = 1_000;

    /// <summary>Time limit of metadata and topic-creation requests (start-up, health checks).</summary>
    public TimeSpan AdminTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these settings, each naming its configuration key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(BootstrapServers))
        {
            problems.Add($"{Key(nameof(BootstrapServers))} is required (comma-separated host:port list of Kafka brokers).");
        }
        else if (BootstrapServers.Split(',').Any(server => !LooksLikeHostPort(server.Trim())))
        {
            problems.Add($"{Key(nameof(BootstrapServers))} must be a comma-separated list of host:port (was '{BootstrapServers}').");
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            problems.Add($"{Key(nameof(ClientId))} must not be empty.");
        }

        _ = Range(problems, nameof(Partitions), Partitions, 1, 10_000);
        _ = Range(problems, nameof(ReplicationFactor), ReplicationFactor, 1, 32);
        if (Range(problems, nameof(MinInsyncReplicas), MinInsyncReplicas, 1, 32) && MinInsyncReplicas > ReplicationFactor)
        {
            problems.Add($"{Key(nameof(MinInsyncReplicas))} ({MinInsyncReplicas}) must not exceed {Key(nameof(ReplicationFactor))} ({ReplicationFactor}): no write could ever be accepted.");
        }

        _ = Duration(problems, nameof(Linger), Linger, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        _ = Range(problems, nameof(QueueBufferingMaxMessages), QueueBufferingMaxMessages, 1, 10_000_000);
        _ = Range(problems, nameof(QueueBufferingMaxKbytes), QueueBufferingMaxKbytes, 1, 2_097_151);
        _ = Duration(problems, nameof(BufferFullWait), BufferFullWait, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        if (Duration(problems, nameof(DeliveryTimeout), DeliveryTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(15)) && DeliveryTimeout <= Linger)
        {
            problems.Add($"{Key(nameof(DeliveryTimeout))} ({DeliveryTimeout}) must be longer than {Key(nameof(Linger))} ({Linger}).");
        }

        _ = Range(problems, nameof(MessageMaxBytes), MessageMaxBytes, 1_000, 100_000_000);
        _ = Duration(problems, nameof(FetchWaitMax), FetchWaitMax, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        _ = Duration(problems, nameof(SessionTimeout), SessionTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(30));
        if (Duration(problems, nameof(HeartbeatInterval), HeartbeatInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10)) && HeartbeatInterval >= SessionTimeout)
        {
            problems.Add($"{Key(nameof(HeartbeatInterval))} ({HeartbeatInterval}) must be shorter than {Key(nameof(SessionTimeout))} ({SessionTimeout}), usually a third of it or less.");
        }

        _ = Duration(problems, nameof(JoinTimeout), JoinTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        _ = Duration(problems, nameof(CommitInterval), CommitInterval, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        _ = Duration(problems, nameof(RebalanceGrace), RebalanceGrace, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        _ = Range(problems, nameof(MaxBufferedPerPartition), MaxBufferedPerPartition, 1, 1_000_000);
        _ = Duration(problems, nameof(AdminTimeout), AdminTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        return problems;
    }

    internal static string Key(string property) => $"{Section}:{property}";

    private static bool LooksLikeHostPort(string server)
    {
        var colon = server.LastIndexOf(':');
        return colon > 0 && int.TryParse(server.AsSpan(colon + 1), out var port) && port is > 0 and < 65536;
    }

    private static bool Range(List<string> problems, string name, int value, int min, int max)
    {
        if (value >= min && value <= max)
        {
            return true;
        }

        problems.Add($"{Key(name)} must be between {min} and {max} (was {value}).");
        return false;
    }

    private static bool Duration(List<string> problems, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value >= min && value <= max)
        {
            return true;
        }

        problems.Add($"{Key(name)} must be between {min} and {max} (was {value}).");
        return false;
    }
}
