using Confluent.Kafka;

namespace ChatOps.Kafka.Replay;

/// <summary>Per partition, the first offset to read and the high watermark to stop before; only partitions with something to read.</summary>
internal static class ReplayPlan
{
    public readonly record struct Range(long Start, long End);

    public static Dictionary<int, Range> Create(IConsumer<byte[], byte[]> consumer, string topic, IReadOnlyList<int> partitions, ReplayStart from, TimeSpan timeout)
    {
        if (from.PartitionOffsets is { } named)
        {
            var unknown = named.Keys.Where(p => !partitions.Contains(p)).Order().ToList();
            if (unknown.Count > 0)
            {
                throw new ReplayException($"Topic {topic} has partitions 0 to {partitions.Max()}; there is no partition {string.Join(", ", unknown)}.");
            }

            partitions = named.Keys.Order().ToList();
        }

        // Taken before anything is read: the replay ends at what existed when it started.
        var watermarks = partitions.ToDictionary(p => p, p => Query(() => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), timeout), topic));
        var starts = from.Time is { } time
            ? ForTime(consumer, topic, partitions, time, timeout, watermarks)
            : partitions.ToDictionary(p => p, p => from.PartitionOffsets?[p] ?? from.Offset!.Value);

        var plan = new Dictionary<int, Range>();
        foreach (var partition in partitions)
        {
            var (low, high) = (watermarks[partition].Low.Value, watermarks[partition].High.Value);
            // Below the low watermark retention has deleted the records: start at the oldest one kept.
            var start = Math.Max(starts[partition], low);
            if (start < high)
            {
                plan[partition] = new Range(start, high);
            }
        }

        return plan;
    }

    private static Dictionary<int, long> ForTime(IConsumer<byte[], byte[]> consumer, string topic, IReadOnlyList<int> partitions, DateTimeOffset time, TimeSpan timeout, Dictionary<int, WatermarkOffsets> watermarks)
    {
        var found = Query(() => consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(topic, p, new Timestamp(time))), timeout), topic);
        // No record at or after the time: nothing to read there (start at the high watermark).
        return found.ToDictionary(
            f => f.Partition.Value,
            f => f.Offset.Value >= 0 ? f.Offset.Value : watermarks[f.Partition.Value].High.Value);
    }

    private static T Query<T>(Func<T> query, string topic)
    {
        try
        {
            return query();
        }
        catch (KafkaException ex)
        {
            throw new ReplayException($"Kafka could not tell where {topic} starts and ends: {ex.Error.Reason}", ex);
        }
    }
}
