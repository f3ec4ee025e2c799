using ChatOps.Core.Events;

namespace ChatOps.Conformance.Bus;

/// <summary>
/// A thread-safe record of what a handler received, with waits on "at least n messages" or "n
/// distinct ids" that complete the moment the condition holds (no polling).
/// </summary>
public sealed class EnvelopeCollector
{
    private readonly Lock _sync = new();
    private readonly List<Envelope> _received = [];
    private readonly HashSet<string> _distinctIds = new(StringComparer.Ordinal);
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public IReadOnlyList<Envelope> Received
    {
        get
        {
            lock (_sync)
            {
                return [.. _received];
            }
        }
    }

    public void Add(Envelope envelope)
    {
        lock (_sync)
        {
            _received.Add(envelope);
            _distinctIds.Add(envelope.Id);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition())
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>A handler that records and succeeds.</summary>
    public Task Handle(Envelope envelope, CancellationToken cancellationToken)
    {
        Add(envelope);
        return Task.CompletedTask;
    }

    public Task WaitForCountAsync(int count, TimeSpan timeout) => WaitAsync(() => _received.Count >= count, timeout, $"{count} message(s)");

    public Task WaitForDistinctAsync(int count, TimeSpan timeout) => WaitAsync(() => _distinctIds.Count >= count, timeout, $"{count} distinct message(s)");

    public Task WaitForIdAsync(string id, TimeSpan timeout) => WaitAsync(() => _distinctIds.Contains(id), timeout, $"message {id}");

    private async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        TaskCompletionSource done;
        lock (_sync)
        {
            if (condition())
            {
                return;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
        }

        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            int got;
            lock (_sync)
            {
                got = _received.Count;
            }

            throw new TimeoutException($"Waited {timeout} for {what}; received {got}.");
        }
    }
}
