using ChatOps.Core.Events;
using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.Bus.Internal;

/// <summary>
/// One topic: its partition logs and its consumer groups. Every mutable field of the topic, its groups,
/// their partition workers and members is guarded by <see cref="Sync"/>, so an offset commit, a
/// rebalance and a trim never interleave.
/// </summary>
internal sealed class TopicState
{
    private readonly InMemoryEventBus _bus;
    private readonly int _maxRetained;
    private readonly Dictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly bool[] _warnedOrphanTrim;

    // Per partition, the workers to wake on publish; replaced (never mutated) when a group appears.
    private PartitionWorker[][] _workersByPartition;

    public TopicState(InMemoryEventBus bus, string name, int partitionCount, int maxRetained)
    {
        _bus = bus;
        Name = name;
        _maxRetained = maxRetained;
        Logs = new PartitionLog[partitionCount];
        for (var p = 0; p < partitionCount; p++)
        {
            Logs[p] = new PartitionLog();
        }

        _workersByPartition = Enumerable.Repeat(Array.Empty<PartitionWorker>(), partitionCount).ToArray();
        _warnedOrphanTrim = new bool[partitionCount];
    }

    public object Sync { get; } = new();

    public string Name { get; }

    public PartitionLog[] Logs { get; }

    public long Append(Envelope envelope, out PartitionWorker[] toWake)
    {
        var partition = KeyPartitioner.PartitionFor(envelope.Key, Logs.Length);
        lock (Sync)
        {
            var offset = Logs[partition].Append(envelope);
            EnforceBound(partition);
            toWake = _workersByPartition[partition];
            return offset;
        }
    }

    /// <summary>Must hold <see cref="Sync"/>.</summary>
    public ConsumerGroup GetOrCreateGroup(string name)
    {
        if (_groups.TryGetValue(name, out var group))
        {
            return group;
        }

        group = new ConsumerGroup(_bus, this, name);
        _groups.Add(name, group);
        var rebuilt = new PartitionWorker[Logs.Length][];
        for (var p = 0; p < Logs.Length; p++)
        {
            rebuilt[p] = [.. _workersByPartition[p], group.Workers[p]];
        }

        _workersByPartition = rebuilt;
        return group;
    }

    /// <summary>Drops what every known group has committed. Must hold <see cref="Sync"/>.</summary>
    public void TrimCommitted(int partition)
    {
        if (_groups.Count == 0)
        {
            return;
        }

        var lowest = long.MaxValue;
        foreach (var group in _groups.Values)
        {
            lowest = Math.Min(lowest, group.Workers[partition].NextOffset);
        }

        Logs[partition].TrimBefore(lowest);
    }

    // Reached only when a group lags (or none exists yet): committed entries are trimmed eagerly.
    private void EnforceBound(int partition)
    {
        var log = Logs[partition];
        while (log.Count > _maxRetained)
        {
            var oldest = log.StartOffset;
            log.TrimBefore(oldest + 1);
            if (_groups.Count == 0)
            {
                WarnOrphanTrimOnce(partition);
                continue;
            }

            var lost = false;
            foreach (var group in _groups.Values)
            {
                lost |= group.Workers[partition].SkipDropped(oldest);
            }

            if (lost)
            {
                _bus.CountDropped();
            }
        }
    }

    private void WarnOrphanTrimOnce(int partition)
    {
        if (_warnedOrphanTrim[partition])
        {
            return;
        }

        _warnedOrphanTrim[partition] = true;
        _bus.Logger.LogWarning(
            "Topic {Topic} partition {Partition} holds {Max} messages and no consumer group reads it: the oldest are being discarded (a group that joins later will not see them)",
            Name,
            partition,
            _maxRetained);
    }
}
