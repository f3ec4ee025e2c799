namespace ChatOps.Slack.Tests.Support;

/// <summary>
/// A list that other threads append to, and tests wait on: every append wakes the waiters, so a
/// test waits for the thing itself rather than for time to pass.
/// </summary>
public sealed class Observed<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<T> Snapshot
    {
        get
        {
            lock (_lock) return _items.ToList();
        }
    }

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _items.Add(item);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Waits until <paramref name="done"/> holds for the items seen so far; fails with what was seen.</summary>
    public async Task<IReadOnlyList<T>> WaitUntilAsync(Func<IReadOnlyList<T>, bool> done, int seconds = 10, Func<IReadOnlyList<T>, string>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            Task changed;
            List<T> snapshot;
            lock (_lock)
            {
                snapshot = _items.ToList();
                changed = _changed.Task;
            }

            if (done(snapshot)) return snapshot;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"Condition not met within {seconds} s. Seen {snapshot.Count}: {(describe ?? (s => string.Join("\n", s)))(snapshot)}");
            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // loop once more to report what was seen
            }
        }
    }
}
