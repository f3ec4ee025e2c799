using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Embedded.Bus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Embedded.Tests.Bus;

internal static class BusTestSupport
{
    public static InMemoryEventBus NewBus(int partitions, int maxRetained = 100_000, ILogger<InMemoryEventBus>? logger = null) =>
        new(Options.Create(new InMemoryBusOptions { Partitions = partitions, MaxRetainedPerPartition = maxRetained }), logger: logger);

    public static Envelope Probe(string key, int seq) => Envelope.Create("test.probed", key, new BusProbe(key, seq), DateTimeOffset.UtcNow);

    public static string KeyOn(int partition, int of) =>
        Enumerable.Range(0, 1000).Select(i => $"server-{i}").First(k => KeyPartitioner.PartitionFor(k, of) == partition);
}
