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

    // librdkafka leaves Nagle's algorithm on: a small produce or fetch request written while the previous
    // one is unacknowledged waits for the peer's delayed ACK (up to 40 ms on Linux). Chat commands are
    // small and latency-bound, so every hop of a command (publish, fetch) sends at once.
    [Fact]
    public void Producer_and_consumers_send_small_requests_at_once()
    {
        Assert.True(ClientConfigs.Producer(Options).SocketNagleDisable);
        Assert.True(ClientConfigs.Consumer(Options, "router").SocketNagleDisable);
    }
}
