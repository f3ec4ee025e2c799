using ChatOps.Kafka.Internal;
using Confluent.Kafka;

namespace ChatOps.Kafka.Tests;

/// <summary>The librdkafka settings that decide safety and latency, pinned so a refactor cannot drop one quietly.</summary>
public sealed class ClientConfigsTests
{
    private static readonly KafkaBusOptions Options = new() { BootstrapServers = "127.0.0.1:9092", ClientId = "chatops-test" };

    [Fact]
    public void The_producer_waits_for_every_in_sync_replica_and_never_writes_a_retry_twice()
    {
        var config = ClientConfigs.Producer(Options);

        Assert.Equal(Acks.All, config.Acks);
        Assert.True(config.EnableIdempotence);
    }
}
