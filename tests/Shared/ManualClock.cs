using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Tests.Shared;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose pending one-shot timers can be seen (how long each was set
/// for, when it is due), with a signal on every change. A test that runs minutes of traffic in virtual
/// time moves the clock to the next due timer only once the code under test is parked on it, so waits
/// are exact and nothing is skipped or raced.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly FakeTimeProvider _fake = new(start);
    private readonly Lock _lock = new();
    private readonly HashSet<WatchedTimer> _pending = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _fake.LocalTimeZone;

    /// <summary>The pending one-shot timers (set for, due at), and a task completed at the next change.</summary>
    public (IReadOnlyList<(TimeSpan Length, DateTimeOffset DueAt)> Pending, Task Changed) Snapshot()
    {
        lock (_lock) return (_pending.Select(t => (t.Length, t.DueAt)).ToList(), _changed.Task);
    }

    /// <summary>Completes the current change signal (for progress made outside the clock).</summary>
    public void Pulse()
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Moves the clock to <paramref name="at"/> (never back), firing what falls due on the way.</summary>
    public void AdvanceTo(DateTimeOffset at)
    {
        var by = at - _fake.GetUtcNow();
        if (by > TimeSpan.Zero) _fake.Advance(by);
    }

    /// <summary>
    /// Waits for <paramref name="work"/> while moving the clock to the last pending timer whenever one waits
    /// (a shutdown that gives queued messages a few seconds on the clock, for one).
    /// </summary>
    public async Task RunOutAsync(Task work)
    {
        while (!work.IsCompleted)
        {
            var (pending, changed) = Snapshot();
            if (pending.Count > 0) AdvanceTo(pending.Max(t => t.DueAt));
            else await Task.WhenAny(work, changed);
        }

        await work;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(this);
        timer.Inner = _fake.CreateTimer(s =>
        {
            timer.Fired();
            callback(s);
        }, state, dueTime, period);
        timer.Set(dueTime, period);
        return timer;
    }

    private void Track(WatchedTimer timer, bool pending)
    {
        lock (_lock)
        {
            if (pending) _pending.Add(timer);
            else _pending.Remove(timer);
        }

        Pulse();
    }

    private sealed class WatchedTimer(ManualClock clock) : ITimer
    {
        public ITimer Inner { get; set; } = null!;
        public TimeSpan Length { get; private set; }
        public DateTimeOffset DueAt { get; private set; }

        public void Set(TimeSpan dueTime, TimeSpan period)
        {
            Length = dueTime;
            DueAt = clock.GetUtcNow() + (dueTime == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : dueTime);
            // Periodic timers (housekeeping) never park anything on the burst's path: not tracked.
            clock.Track(this, dueTime != Timeout.InfiniteTimeSpan && period == Timeout.InfiniteTimeSpan);
        }

        public void Fired() => clock.Track(this, pending: false);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = Inner.Change(dueTime, period);
            Set(dueTime, period);
            return changed;
        }

        public void Dispose()
        {
            Inner.Dispose();
            clock.Track(this, pending: false);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
