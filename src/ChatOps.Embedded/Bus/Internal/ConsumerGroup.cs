using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.Bus.Internal;

/// <summary>
/// A consumer group on one topic: a committed offset and a worker per partition, and the members
/// sharing the partitions. Created on first subscribe and kept (with its offsets) when members leave,
/// so a member joining later resumes where the group stopped. Guarded by the topic's lock.
/// </summary>
internal sealed class ConsumerGroup
{
    private readonly InMemoryEventBus _bus;
    private readonly List<Subscription> _members = [];
    private int _joins;

    public ConsumerGroup(InMemoryEventBus bus, TopicState topic, string name)
    {
        _bus = bus;
        Topic = topic;
        Name = name;
        Workers = new PartitionWorker[topic.Logs.Length];
        for (var p = 0; p < Workers.Length; p++)
        {
            // A new group starts at the earliest retained message.
            Workers[p] = new PartitionWorker(bus, topic, this, p, topic.Logs[p].StartOffset);
        }

        foreach (var worker in Workers)
        {
            bus.Track(worker.Start());
        }
    }

    public TopicState Topic { get; }

    public string Name { get; }

    public PartitionWorker[] Workers { get; }

    /// <summary>Must hold the topic's lock.</summary>
    public string NextMemberId() => $"{Name}#{++_joins}";

    /// <summary>Must hold the topic's lock.</summary>
    public void Join(Subscription member)
    {
        _members.Add(member);
        Rebalance();
    }

    /// <summary>Must hold the topic's lock.</summary>
    public void Leave(Subscription member)
    {
        if (_members.Remove(member))
        {
            Rebalance();
        }
    }

    // Round-robin over members in join order. A worker busy with a message for a member that lost the
    // partition finishes it first, so a partition is never handled by two members at once.
    private void Rebalance()
    {
        for (var p = 0; p < Workers.Length; p++)
        {
            Workers[p].Owner = _members.Count == 0 ? null : _members[p % _members.Count];
            Workers[p].Wake();
        }

        _bus.Logger.LogDebug(
            "Group {Group} on {Topic} rebalanced: {Members} member(s) share {Partitions} partitions",
            Name,
            Topic.Name,
            _members.Count,
            Workers.Length);
    }
}
