using System.Collections.Concurrent;
using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Kafka.Tests.Volume;

/// <summary>
/// Publishes a stream of small command envelopes: the given servers concurrently, each server's commands
/// one after another (as the router publishes a server's commands), and keeps, per key and in publish
/// order, what Kafka acknowledged and what it refused (with the refusal).
/// </summary>
internal sealed class CommandStreamPublisher(IEventBus bus, string topic, IReadOnlyList<string> keys, int perKey)
{
    private int _completed;

    public ConcurrentDictionary<string, List<Envelope>> Acknowledged { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<(Envelope Envelope, BusUnavailableException Error)> Refused { get; } = new();

    /// <summary>When each publish completed: how many publishes had completed by then (for locating a fault's effects).</summary>
    public ConcurrentDictionary<string, int> CompletedAt { get; } = new(StringComparer.Ordinal);

    public int Total => keys.Count * perKey;

    public int Completed => Volatile.Read(ref _completed);

    public int AcknowledgedCount => Acknowledged.Values.Sum(list => list.Count);

    /// <summary>Publishes everything; <paramref name="afterEach"/> sees how many publishes have completed so far.</summary>
    public Task RunAsync(Action<int> afterEach) =>
        Task.WhenAll(keys.Select(key => Task.Run(() => PublishKeyAsync(key, afterEach))));

    private async Task PublishKeyAsync(string key, Action<int> afterEach)
    {
        var acknowledged = Acknowledged.GetOrAdd(key, _ => []);
        for (var seq = 0; seq < perKey; seq++)
        {
            var envelope = Envelope.Create("command.requested", key, new BusProbe(key, seq), DateTimeOffset.UtcNow);
            try
            {
                await bus.PublishAsync(topic, envelope);
                acknowledged.Add(envelope);
            }
            catch (BusUnavailableException ex)
            {
                Refused.Enqueue((envelope, ex));
            }

            var completed = Interlocked.Increment(ref _completed);
            CompletedAt[envelope.Id] = completed;
            afterEach(completed);
        }
    }
}
