using ChatOps.Conformance.Bus;
using ChatOps.Core.Ports;
using ChatOps.Kafka.Tests.Support;
using Confluent.Kafka;

namespace ChatOps.Kafka.Tests;

/// <summary>The bus conformance suite, unchanged, against a three-broker mock Kafka cluster.</summary>
public sealed class KafkaEventBusConformanceTests(MockClusterFixture fixture) : EventBusConformance, IClassFixture<MockClusterFixture>
{
    // Publishing a thousand messages one acknowledgement at a time takes a few seconds on the mock.
    protected override TimeSpan Patience => TimeSpan.FromSeconds(30);

    protected override Task<IEventBus> CreateBusAsync() => Task.FromResult<IEventBus>(fixture.CreateBus());

    protected override string NewTopic() => fixture.NewTopic();

    protected override IReadOnlyList<string> KeysOnOnePartition(int count) => KafkaKeyPartitioner.KeysOn(partition: 0, MockClusterFixture.Partitions, count);

    [Fact]
    public async Task The_keys_chosen_for_one_partition_land_on_one_partition()
    {
        var topic = fixture.NewTopic();
        var keys = KeysOnOnePartition(8);
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = fixture.Cluster.BootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
        }).SetLogHandler((_, _) => { }).Build();

        var partitions = new List<int>();
        foreach (var key in keys)
        {
            var delivered = await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = [1] });
            partitions.Add(delivered.Partition.Value);
        }

        Assert.Equal(Enumerable.Repeat(0, keys.Count), partitions);
    }
}
