using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Slack.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also reports each timer created on it, so a test moves the
/// clock only once the code under test is really waiting, and sees how long it meant to wait.
/// </summary>
public sealed class TimerWatchingTimeProvider(FakeTimeProvider fake) : TimeProvider
{
    public FakeTimeProvider Fake { get; } = fake;

    public Observed<TimeSpan> Timers { get; } = new();

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        Timers.Add(dueTime);
        return timer;
    }

    /// <summary>Waits for the <paramref name="nth"/> timer (1-based) whose due time matches.</summary>
    public async Task<TimeSpan> WaitForTimerAsync(Func<TimeSpan, bool> match, int nth = 1) =>
        (await Timers.WaitUntilAsync(timers => timers.Count(match) >= nth)).Where(match).ElementAt(nth - 1);
}
