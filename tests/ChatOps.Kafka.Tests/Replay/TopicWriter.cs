using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Kafka.Internal;
using ChatOps.Kafka.Tests.Support;
using Confluent.Kafka;

namespace ChatOps.Kafka.Tests.Replay;

/// <summary>Writes records as the bus does (or raw ones), with chosen timestamps, and remembers where each landed.</summary>
public sealed class TopicWriter(MockClusterFixture fixture) : IDisposable
{
    private readonly IProducer<string, byte[]> _producer = new ProducerBuilder<string, byte[]>(ClientConfigs.Producer(fixture.Options()))
        .SetLogHandler((_, _) => { })
        .Build();

    public async Task<(Envelope Envelope, TopicPartitionOffset Position)> WriteAsync(string topic, string key, int seq, DateTimeOffset? timestamp = null)
    {
        var envelope = Envelope.Create("test.probed", key, new BusProbe(key, seq), DateTimeOffset.UtcNow, traceParent: $"00-{Guid.NewGuid():N}-b7ad6b7169203331-01");
        var message = RecordCodec.ToMessage(envelope, ChatOpsJson.ToBytes(envelope));
        if (timestamp is { } at)
        {
            message.Timestamp = new Timestamp(at);
        }

        var delivered = await _producer.ProduceAsync(topic, message);
        return (envelope, delivered.TopicPartitionOffset);
    }

    public async Task<TopicPartitionOffset> WriteRawAsync(string topic, string key, byte[] value)
    {
        var delivered = await _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = value });
        return delivered.TopicPartitionOffset;
    }

    public void Dispose() => _producer.Dispose();
}
