using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Postgres.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also reports each timer created on it, so a test moves the
/// clock only once the code under test is really waiting (and sees how long it meant to wait).
/// </summary>
internal sealed class TimerWatchingTimeProvider(FakeTimeProvider fake) : TimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public FakeTimeProvider Fake { get; } = fake;

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer created, waiting at most 10 s for it.</summary>
    public Task<TimeSpan> NextTimerAsync() => _timers.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}
