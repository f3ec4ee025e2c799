namespace ChatOps.Kafka.Replay;

/// <summary>
/// Where a replay starts on each partition: at the first record at or after a time, at one offset on
/// every partition, or at given offsets on given partitions (only those partitions are read).
/// </summary>
public sealed record ReplayStart
{
    private ReplayStart(DateTimeOffset? time, long? offset, IReadOnlyDictionary<int, long>? partitionOffsets)
    {
        Time = time;
        Offset = offset;
        PartitionOffsets = partitionOffsets;
    }

    /// <summary>Set when the replay starts at the first record whose timestamp is at or after this time.</summary>
    public DateTimeOffset? Time { get; }

    /// <summary>Set when the replay starts at this offset on every partition (the oldest kept record when retention removed it).</summary>
    public long? Offset { get; }

    /// <summary>Set when the replay reads only these partitions, each from its offset.</summary>
    public IReadOnlyDictionary<int, long>? PartitionOffsets { get; }

    public static ReplayStart At(DateTimeOffset time) => new(time, null, null);

    public static ReplayStart FromOffset(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return new(null, offset, null);
    }

    public static ReplayStart FromOffsets(IReadOnlyDictionary<int, long> partitionOffsets)
    {
        ArgumentNullException.ThrowIfNull(partitionOffsets);
        if (partitionOffsets.Count == 0)
        {
            throw new ArgumentException("At least one partition:offset pair is needed.", nameof(partitionOffsets));
        }

        foreach (var (partition, offset) in partitionOffsets)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(partition, nameof(partitionOffsets));
            ArgumentOutOfRangeException.ThrowIfNegative(offset, nameof(partitionOffsets));
        }

        return new(null, null, new Dictionary<int, long>(partitionOffsets));
    }

    public override string ToString() =>
        Time is { } time ? time.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture)
        : Offset is { } offset ? $"offset {offset}"
        : "offsets " + string.Join(",", PartitionOffsets!.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"));
}
