using ChatOps.Conformance.Bus;
using ChatOps.Core.Ports;
using ChatOps.Kafka.Tests.Support;

namespace ChatOps.Kafka.Tests;

/// <summary>The bus conformance suite, unchanged, against a three-broker mock Kafka cluster.</summary>
public sealed class KafkaEventBusConformanceTests(MockClusterFixture fixture) : EventBusConformance, IClassFixture<MockClusterFixture>
{
    // Publishing a thousand messages one acknowledgement at a time takes a few seconds on the mock.
    protected override TimeSpan Patience => TimeSpan.FromSeconds(30);

    protected override Task<IEventBus> CreateBusAsync() => Task.FromResult<IEventBus>(fixture.CreateBus());

    protected override string NewTopic() => fixture.NewTopic();
}
