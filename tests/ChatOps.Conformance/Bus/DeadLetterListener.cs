using System.Diagnostics.Metrics;
using ChatOps.Core.Observability;

namespace ChatOps.Conformance.Bus;

/// <summary>Collects the <c>topic</c> tag of every dead letter one <see cref="ChatOpsMeter"/> counts.</summary>
public sealed class DeadLetterListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<string> _topics = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public DeadLetterListener(ChatOpsMeter meter)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, meter.Meter) && i.Name == "chatops_dead_letters_total") l.EnableMeasurementEvents(i);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "topic") Add((string)tag.Value!, value);
            }
        });
        _listener.Start();
    }

    /// <summary>The topics counted so far, one entry per dead letter.</summary>
    public IReadOnlyList<string> Topics
    {
        get
        {
            lock (_topics) return [.. _topics];
        }
    }

    /// <summary>Completes once <paramref name="count"/> dead letters have been counted (the count follows the park, a moment later).</summary>
    public Task WaitForCountAsync(int count, TimeSpan timeout)
    {
        lock (_topics)
        {
            if (_topics.Count >= count) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(timeout);
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(string topic, long value)
    {
        lock (_topics)
        {
            for (var i = 0; i < value; i++) _topics.Add(topic);
            foreach (var waiter in _waiters.Where(w => _topics.Count >= w.Count).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}
