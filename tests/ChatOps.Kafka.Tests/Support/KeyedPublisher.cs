using System.Collections.Concurrent;
using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Kafka.Tests.Support;

/// <summary>
/// Publishes <c>perKey</c> probes for each of <c>keys</c> keys, the keys concurrently and each key's
/// probes one after another (as ChatOps publishes a server's events), and records what Kafka
/// acknowledged and what it refused.
/// </summary>
public sealed class KeyedPublisher(IEventBus bus, string topic, int keys, int perKey)
{
    private int _attempted;

    public ConcurrentDictionary<string, List<Envelope>> Acknowledged { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<Exception> Refused { get; } = new();

    public int Total => keys * perKey;

    public int AcknowledgedCount => Acknowledged.Values.Sum(list => list.Count);

    /// <summary>Runs every key's sequence; <paramref name="afterEach"/> sees how many publishes have completed.</summary>
    public Task RunAsync(Action<int>? afterEach = null) =>
        Task.WhenAll(Enumerable.Range(0, keys).Select(k => PublishKeyAsync($"server-{k}", afterEach)));

    /// <summary>Fails unless, per key, the distinct messages received are exactly the acknowledged ones in publish order.</summary>
    public void AssertReceivedInOrder(IReadOnlyList<Envelope> received)
    {
        var byKey = received.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.DistinctBy(e => e.Id).Select(e => e.Id).ToList(), StringComparer.Ordinal);
        foreach (var (key, acknowledged) in Acknowledged)
        {
            Assert.True(byKey.TryGetValue(key, out var got), $"nothing received for {key}");
            Assert.Equal(acknowledged.Select(e => e.Id), got.Where(acknowledged.Select(e => e.Id).ToHashSet().Contains));
        }
    }

    private async Task PublishKeyAsync(string key, Action<int>? afterEach)
    {
        var acknowledged = Acknowledged.GetOrAdd(key, _ => []);
        for (var seq = 0; seq < perKey; seq++)
        {
            var envelope = Envelope.Create("test.probed", key, new BusProbe(key, seq), DateTimeOffset.UtcNow);
            try
            {
                await bus.PublishAsync(topic, envelope);
                acknowledged.Add(envelope);
            }
            catch (BusUnavailableException ex)
            {
                Refused.Enqueue(ex);
            }

            afterEach?.Invoke(Interlocked.Increment(ref _attempted));
        }
    }
}
