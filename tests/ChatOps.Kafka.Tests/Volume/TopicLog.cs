using System.Text;
using Confluent.Kafka;

namespace ChatOps.Kafka.Tests.Volume;

/// <summary>
/// What a topic's log holds, read with a plain Confluent.Kafka consumer from the earliest offset to the
/// high watermark of every partition, outside any consumer group: the records themselves, so duplicates
/// in the log are told apart from a group's redeliveries.
/// </summary>
internal static class TopicLog
{
    /// <summary>Every record's envelope id (the <see cref="KafkaHeaders.MessageId"/> header) and key, partition by partition in offset order.</summary>
    public static IReadOnlyList<(int Partition, string Key, string Id)> Read(string bootstrapServers, string topic, int partitions, TimeSpan patience)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "log-reader-" + Guid.NewGuid().ToString("N"), // required by the client; never joined or committed
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            FetchWaitMaxMs = 5,
        }).SetLogHandler((_, _) => { }).Build();

        var assigned = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        var ends = assigned.ToDictionary(tp => tp.Partition.Value, tp => consumer.QueryWatermarkOffsets(tp, patience).High.Value);
        consumer.Assign(assigned.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));

        var records = new List<(int, string, string)>();
        var done = ends.Where(e => e.Value == 0).Select(e => e.Key).ToHashSet();
        var deadline = DateTime.UtcNow + patience;
        while (done.Count < partitions)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"read only {records.Count} records of {topic} within {patience}; partitions not finished: {string.Join(", ", ends.Keys.Except(done))}");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null)
            {
                continue;
            }

            var partition = result.Partition.Value;
            if (!result.IsPartitionEOF)
            {
                var id = result.Message.Headers.TryGetLastBytes(KafkaHeaders.MessageId, out var bytes) ? Encoding.UTF8.GetString(bytes) : "(no id)";
                records.Add((partition, result.Message.Key, id));
            }

            if (result.Offset.Value + (result.IsPartitionEOF ? 0 : 1) >= ends[partition])
            {
                done.Add(partition);
            }
        }

        return records;
    }
}
