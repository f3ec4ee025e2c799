using ChatOps.Core.Events;
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
            SessionTimeout = TimeSpan.FromSeconds(6),
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            JoinTimeout = TimeSpan.FromSeconds(30),
            CommitInterval = TimeSpan.FromMilliseconds(100),
            AdminTimeout = TimeSpan.FromSeconds(5),
        };
        adjust?.Invoke(options);
        return options;
    }

    public KafkaEventBus CreateBus(Action<KafkaBusOptions>? adjust = null, ILogger<KafkaEventBus>? logger = null) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(adjust)), logger: logger);

    /// <summary>A fresh topic and its dead-letter topic, created as ChatOps would create them.</summary>
    public string NewTopic()
    {
        var topic = "t-" + Guid.NewGuid().ToString("N");
        Cluster.CreateTopic(topic, Partitions, ReplicationFactor);
        Cluster.CreateTopic(Topics.DeadLetter(topic), Partitions, ReplicationFactor);
        return topic;
    }

    public void Dispose() => Cluster.Dispose();
}
