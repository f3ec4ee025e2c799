using Confluent.Kafka;

namespace ChatOps.Kafka.Internal;

/// <summary>The librdkafka settings derived from <see cref="KafkaBusOptions"/>, in one place.</summary>
internal static class ClientConfigs
{
    // Room for key, headers and batch framing on top of the largest value we let through.
    private const int RecordOverheadBytes = 64 * 1024;

    public static ProducerConfig Producer(KafkaBusOptions options) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = options.ClientId,
        Acks = Acks.All,
        EnableIdempotence = true,
        MaxInFlight = 5,
        LingerMs = options.Linger.TotalMilliseconds,
        QueueBufferingMaxMessages = options.QueueBufferingMaxMessages,
        QueueBufferingMaxKbytes = options.QueueBufferingMaxKbytes,
        MessageTimeoutMs = Millis(options.DeliveryTimeout),
        // A request never outlives the message it carries, so a publish fails in DeliveryTimeout.
        RequestTimeoutMs = Math.Min(30_000, Millis(options.DeliveryTimeout)),
        MessageMaxBytes = options.MessageMaxBytes + RecordOverheadBytes,
        // Java's partitioner: a key lands on the same partition whichever client wrote it.
        Partitioner = Partitioner.Murmur2Random,
    };

    public static ConsumerConfig Consumer(KafkaBusOptions options, string group) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = options.ClientId,
        GroupId = group,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnablePartitionEof = false,
        FetchWaitMaxMs = Millis(options.FetchWaitMax),
        SessionTimeoutMs = Millis(options.SessionTimeout),
        HeartbeatIntervalMs = Millis(options.HeartbeatInterval),
        // Eager: a rebalance revokes everything, so "joined" means "holds its final share" and a
        // partition is never owned by two members at once.
        PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin,
        AllowAutoCreateTopics = false,
    };

    public static AdminClientConfig Admin(KafkaBusOptions options) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = options.ClientId + "-admin",
    };

    public static int Millis(TimeSpan value) => (int)Math.Clamp(value.TotalMilliseconds, 0, int.MaxValue);
}
