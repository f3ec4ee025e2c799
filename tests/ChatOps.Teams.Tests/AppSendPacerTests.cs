using ChatOps.Teams.Internal;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Teams.Tests;

/// <summary>The app-wide limit across conversations (30 sends a second): slots handed out in order, never 31 in a second.</summary>
public sealed class AppSendPacerTests
{
    [Fact]
    public void Thirty_go_at_once_the_next_ones_wait_for_the_oldest_to_leave_the_second()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pacer = new AppSendPacer(time);

        var waits = Enumerable.Range(0, 65).Select(_ => pacer.Reserve()).ToList();

        Assert.All(waits.Take(30), w => Assert.Equal(TimeSpan.Zero, w));
        Assert.All(waits.Skip(30).Take(30), w => Assert.Equal(TimeSpan.FromSeconds(1), w));
        Assert.All(waits.Skip(60), w => Assert.Equal(TimeSpan.FromSeconds(2), w));
    }

    [Fact]
    public async Task Senders_reserving_at_once_from_many_threads_never_get_more_than_thirty_slots_in_a_second()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pacer = new AppSendPacer(time);
        var start = time.GetUtcNow();

        var slots = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => Task.Run(() => start + pacer.Reserve())));

        var ordered = slots.Order().ToList();
        for (var i = AppSendPacer.MaxPerSecond; i < ordered.Count; i++)
            Assert.True(ordered[i] - ordered[i - AppSendPacer.MaxPerSecond] >= TimeSpan.FromSeconds(1), $"slot {i} is within a second of slot {i - AppSendPacer.MaxPerSecond}");
        Assert.Equal(TimeSpan.FromSeconds(13), ordered[^1] - start); // 400 sends: 13 full seconds of 30, the last 10 in the 14th
    }
}
