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

    [Fact]
    public void The_producer_sends_at_once_by_default_because_each_hop_of_a_command_would_wait_out_the_linger()
    {
        Assert.Equal(0, ClientConfigs.Producer(Options).LingerMs);
        Assert.Equal(5, ClientConfigs.Producer(new KafkaBusOptions { BootstrapServers = "127.0.0.1:9092", Linger = TimeSpan.FromMilliseconds(5) }).LingerMs);
    }
}
