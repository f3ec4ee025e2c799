using ChatOps.Core.Events;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Kafka.Tests.Support;

/// <summary>One three-broker mock cluster per test class (starting one is cheap; joining groups is not).</summary>
public sealed class MockClusterFixture : IDisposable
{
    public const int Partitions = 12;
    public const short ReplicationFactor = 3;

    public MockKafkaCluster Cluster { get; } = MockKafkaCluster.Start(brokers: 3);

    /// <summary>Options tuned for the mock: short fetch waits and heartbeats, so nothing waits on defaults meant for real brokers.</summary>
    public KafkaBusOptions Options(Action<KafkaBusOptions>? adjust = null)
    {
        var options = new KafkaBusOptions
        {
            BootstrapServers = Cluster.BootstrapServers,
            ClientId = "chatops-tests",
            Partitions = Partitions,
            ReplicationFactor = ReplicationFactor,
            MinInsyncReplicas = 2,
            Linger = TimeSpan.Zero,
            DeliveryTimeout = TimeSpan.FromSeconds(20),
            FetchWaitMax = TimeSpan.FromMilliseconds(5),
            // The mock waits session timeout - 1 s for members to rejoin on every rebalance.
            SessionTimeout = TimeSpan.FromSeconds(2),
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            JoinTimeout = TimeSpan.FromSeconds(30),
            CommitInterval = TimeSpan.FromMilliseconds(100),
            AdminTimeout = TimeSpan.FromSeconds(5),
        };
        adjust?.Invoke(options);
        return options;
    }

    public KafkaEventBus CreateBus(Action<KafkaBusOptions>? adjust = null, ILogger<KafkaEventBus>? logger = null, ChatOps.Core.Observability.ChatOpsMeter? meter = null) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(adjust)), logger: logger, meter: meter);

    /// <summary>A fresh topic and its dead-letter topic, created as ChatOps would create them.</summary>
    public string NewTopic()
    {
        var topic = "t-" + Guid.NewGuid().ToString("N");
        Cluster.CreateTopic(topic, Partitions, ReplicationFactor);
        Cluster.CreateTopic(Topics.DeadLetter(topic), Partitions, ReplicationFactor);
        return topic;
    }

    /// <summary>
    /// What a real cluster's controller does when a broker dies: partitions it led get a new leader
    /// among their replicas. The mock only moves leadership when told.
    /// </summary>
    public void FailOver(string topic, int deadBroker, int newLeader)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions;
        foreach (var partition in partitions.Where(p => p.Leader == deadBroker))
        {
            Cluster.SetPartitionLeader(topic, partition.PartitionId, newLeader);
        }
    }

    /// <summary>Brokers 1..n accept connections again (a test that took some down restores them).</summary>
    public void AllBrokersUp()
    {
        for (var id = 1; id <= Cluster.Brokers; id++)
        {
            Cluster.SetBrokerUp(id);
        }
    }

    public void Dispose() => Cluster.Dispose();
}
