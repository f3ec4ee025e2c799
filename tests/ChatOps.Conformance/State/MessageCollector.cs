namespace ChatOps.Conformance.State;

/// <summary>What a pub/sub handler received, in order, with a wait that completes when enough arrived.</summary>
public sealed class MessageCollector
{
    private readonly Lock _sync = new();
    private readonly List<string> _received = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_sync)
            {
                return [.. _received];
            }
        }
    }

    public void Add(string message)
    {
        lock (_sync)
        {
            _received.Add(message);
            foreach (var waiter in _waiters.Where(w => _received.Count >= w.Count).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public Task Handle(string message)
    {
        Add(message);
        return Task.CompletedTask;
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived; returns all received so far.</summary>
    public async Task<IReadOnlyList<string>> WaitForAsync(int count, TimeSpan timeout)
    {
        TaskCompletionSource done;
        lock (_sync)
        {
            if (_received.Count >= count)
            {
                return [.. _received];
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
        }

        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {timeout} for {count} message(s); received {Received.Count}.");
        }

        return Received;
    }
}
