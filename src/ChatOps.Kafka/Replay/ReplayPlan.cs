using Confluent.Kafka;

namespace ChatOps.Kafka.Replay;

/// <summary>Per partition, the first offset to read and the high watermark to stop before; only partitions with something to read.</summary>
internal static class ReplayPlan
{
    /// <param name="Start">First offset to read.</param>
    /// <param name="End">The high watermark when the replay started: reading stops before it.</param>
    /// <param name="SkipBefore">When set, records are skipped until the first one stamped at or after it (see <see cref="ForTime"/>).</param>
    public readonly record struct Range(long Start, long End, DateTimeOffset? SkipBefore = null);

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
        var scanFrom = new HashSet<int>();
        var starts = from.Time is { } time
            ? ForTime(consumer, topic, partitions, time, timeout, watermarks, scanFrom)
            : partitions.ToDictionary(p => p, p => from.PartitionOffsets?[p] ?? from.Offset!.Value);

        var plan = new Dictionary<int, Range>();
        foreach (var partition in partitions)
        {
            var (low, high) = (watermarks[partition].Low.Value, watermarks[partition].High.Value);
            // Below the low watermark retention has deleted the records: start at the oldest one kept.
            var start = Math.Max(starts[partition], low);
            if (start < high)
            {
                plan[partition] = new Range(start, high, scanFrom.Contains(partition) ? from.Time : null);
            }
        }

        return plan;
    }

    /// <summary>
    /// The first offset at or after <paramref name="time"/> per partition, as the brokers' time index says.
    /// A broker answers "none" both when every record is older and when it cannot look times up (some
    /// proxies and test brokers): the last record tells which, and in the second case the partition is
    /// scanned from its start, skipping records until the first one stamped at or after the time.
    /// </summary>
    private static Dictionary<int, long> ForTime(IConsumer<byte[], byte[]> consumer, string topic, IReadOnlyList<int> partitions, DateTimeOffset time, TimeSpan timeout, Dictionary<int, WatermarkOffsets> watermarks, HashSet<int> scanFrom)
    {
        var found = Query(() => consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(topic, p, new Timestamp(time))), timeout), topic)
            .ToDictionary(f => f.Partition.Value, f => f.Offset.Value);
        var unanswered = partitions.Where(p => found[p] < 0 && watermarks[p].High.Value > watermarks[p].Low.Value).ToList();
        foreach (var (partition, lastStamp) in LastTimestamps(consumer, topic, unanswered, watermarks, timeout))
        {
            if (lastStamp >= time)
            {
                scanFrom.Add(partition);
                found[partition] = watermarks[partition].Low.Value;
            }
        }

        // Otherwise no record at or after the time: nothing to read there (start at the high watermark).
        return partitions.ToDictionary(p => p, p => found[p] >= 0 ? found[p] : watermarks[p].High.Value);
    }

    private static Dictionary<int, DateTimeOffset> LastTimestamps(IConsumer<byte[], byte[]> consumer, string topic, List<int> partitions, Dictionary<int, WatermarkOffsets> watermarks, TimeSpan timeout)
    {
        var stamps = new Dictionary<int, DateTimeOffset>();
        if (partitions.Count == 0)
        {
            return stamps;
        }

        var open = partitions.ToHashSet();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, watermarks[p].High.Value - 1)));
        var deadline = DateTime.UtcNow + timeout;
        while (open.Count > 0 && DateTime.UtcNow < deadline)
        {
            var record = Query(() => consumer.Consume(TimeSpan.FromMilliseconds(100)), topic);
            if (record is null || !open.Remove(record.Partition.Value))
            {
                continue;
            }

            // An end-of-partition event here means the last offset is a transaction marker: no newer record.
            if (!record.IsPartitionEOF && record.Message.Timestamp.Type != TimestampType.NotAvailable)
            {
                stamps[record.Partition.Value] = new DateTimeOffset(record.Message.Timestamp.UtcDateTime);
            }
        }

        consumer.Unassign();
        if (open.Count > 0)
        {
            throw new ReplayException($"Kafka did not return the last record of {topic} partitions {string.Join(",", open.Order())} in {timeout.TotalSeconds:0} s; cannot tell where the replay starts there.");
        }

        return stamps;
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
