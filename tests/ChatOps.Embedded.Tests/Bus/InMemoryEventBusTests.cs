using ChatOps.Conformance.Bus;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus;

namespace ChatOps.Embedded.Tests.Bus;

public sealed class InMemoryEventBusTests : EventBusConformance
{
    protected override Task<IEventBus> CreateBusAsync() => Task.FromResult<IEventBus>(new InMemoryEventBus());

    protected override IReadOnlyList<string> KeysOnOnePartition(int count)
    {
        var partitions = new InMemoryBusOptions().Partitions;
        return Enumerable.Range(0, 10_000).Select(i => $"server-{i}").Where(k => KeyPartitioner.PartitionFor(k, partitions) == 0).Take(count).ToList();
    }
}
