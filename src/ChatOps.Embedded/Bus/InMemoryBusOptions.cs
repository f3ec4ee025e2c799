namespace ChatOps.Embedded.Bus;

/// <summary>Settings of <see cref="InMemoryEventBus"/> (section <c>ChatOps:InMemoryBus</c> when bound).</summary>
public sealed class InMemoryBusOptions
{
    /// <summary>Partitions of every topic, fixed when the topic is first used.</summary>
    public int Partitions { get; set; } = 32;

    /// <summary>
    /// Messages kept per partition. Messages every group has committed are trimmed at once; this bound
    /// only matters for a lagging (or absent) group, whose oldest messages are then dropped and counted
    /// in <see cref="InMemoryEventBus.DroppedCount"/>.
    /// </summary>
    public int MaxRetainedPerPartition { get; set; } = 100_000;
}
