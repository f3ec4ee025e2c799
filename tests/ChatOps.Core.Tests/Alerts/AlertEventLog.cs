using ChatOps.Core.Events;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>
/// Everything seen on alerts-topic by one consumer, in order, and a barrier: a marker message
/// published with a key is seen only after every earlier message with that key (one partition,
/// in order), so a test can assert that something was NOT published without sleeping.
/// </summary>
internal sealed class AlertEventLog
{
    public const string MarkerType = "test.marker";

    private readonly Lock _gate = new();
    private readonly List<Envelope> _seen = [];
    private readonly Dictionary<string, TaskCompletionSource> _markers = [];

    public Task RecordAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (envelope.Type == MarkerType)
            {
                if (_markers.Remove(envelope.Id, out var done)) done.TrySetResult();
                return Task.CompletedTask;
            }

            _seen.Add(envelope);
        }

        return Task.CompletedTask;
    }

    public IReadOnlyList<Envelope> All
    {
        get
        {
            lock (_gate) return _seen.ToList();
        }
    }

    public IReadOnlyList<Envelope> OfType(string type) => All.Where(e => e.Type == type).ToList();

    public static Envelope NewMarker(string key, DateTimeOffset at) => Envelope.Create(MarkerType, key, new { }, at);

    /// <summary>Completes when this consumer has seen <paramref name="marker"/> (register before publishing it).</summary>
    public Task Expect(Envelope marker)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _markers[marker.Id] = done;
        return done.Task;
    }
}
