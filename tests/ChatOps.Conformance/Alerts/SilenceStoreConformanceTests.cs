using ChatOps.Core.Alerts;
using static ChatOps.Conformance.Alerts.AlertTestData;

namespace ChatOps.Conformance.Alerts;

/// <summary><see cref="Core.Ports.ISilenceStore"/>: silences, maintenance windows, expiry by hand.</summary>
public abstract class SilenceStoreConformanceTests : AlertingConformanceTests
{
    private static Silence Silence(string id, DateTimeOffset starts, DateTimeOffset ends, string target = "web-1", string? rule = null) =>
        new(id, target, rule, starts, ends, "olivia", null, T0);

    [Fact]
    public async Task Current_silences_include_maintenance_windows_and_exclude_ended_or_expired_ones()
    {
        var now = new Silence("s1", "web-1", null, T0, T0.AddHours(2), "olivia", "deploy", T0);
        var window = new Silence("s2", "role:db", "disk-*", T0.AddHours(3), T0.AddHours(5), "olivia", null, T0);
        var ended = new Silence("s3", "web-2", null, T0.AddHours(-2), T0.AddMinutes(-1), "olivia", null, T0.AddHours(-2));
        foreach (var silence in new[] { now, window, ended })
        {
            Assert.True(await Stores.Silences.CreateAsync(silence));
        }

        Assert.False(await Stores.Silences.CreateAsync(now with { Target = "web-9" }));
        Assert.Equal("web-1", (await Stores.Silences.GetAsync("s1"))!.Target);

        Assert.Equal([now, window], await Stores.Silences.ListCurrentAsync(T0));
        Assert.True(await Stores.Silences.ExpireAsync("s1", T0.AddMinutes(10)));
        Assert.False(await Stores.Silences.ExpireAsync("s1", T0.AddMinutes(11)));
        Assert.False(await Stores.Silences.ExpireAsync("s3", T0));
        Assert.Equal([window], await Stores.Silences.ListCurrentAsync(T0.AddMinutes(10)));
        Assert.Equal(now with { ExpiredAt = T0.AddMinutes(10) }, await Stores.Silences.GetAsync("s1"));
    }

    [Fact]
    public async Task A_silence_round_trips_with_every_field_and_with_its_nulls()
    {
        var full = new Silence("s1", "web-*", "disk-*", T0.AddMinutes(1), T0.AddHours(1), "u-olivia", "kernel update \"5.x\" ünï", T0,
            ExpiredAt: T0.AddMinutes(30));
        var bare = Silence("s2", T0, T0.AddHours(1));

        Assert.True(await Stores.Silences.CreateAsync(full));
        Assert.True(await Stores.Silences.CreateAsync(bare));

        Assert.Equal(full, await Stores.Silences.GetAsync("s1"));
        Assert.Equal(bare, await Stores.Silences.GetAsync("s2"));
        Assert.Null(await Stores.Silences.GetAsync("s-unknown"));
    }

    [Fact]
    public async Task A_silence_ends_at_its_end_and_cannot_be_expired_from_then_on()
    {
        await Stores.Silences.CreateAsync(Silence("s1", T0, T0.AddHours(1)));

        Assert.Single(await Stores.Silences.ListCurrentAsync(T0.AddHours(1).AddMilliseconds(-1)));
        Assert.Empty(await Stores.Silences.ListCurrentAsync(T0.AddHours(1)));
        Assert.False(await Stores.Silences.ExpireAsync("s1", T0.AddHours(1)));
        Assert.False(await Stores.Silences.ExpireAsync("s-unknown", T0));
        Assert.Null((await Stores.Silences.GetAsync("s1"))!.ExpiredAt);
    }

    [Fact]
    public async Task Current_silences_come_by_start_and_a_future_window_can_be_called_off()
    {
        await Stores.Silences.CreateAsync(Silence("s-late", T0.AddHours(2), T0.AddHours(3)));
        await Stores.Silences.CreateAsync(Silence("s-b", T0, T0.AddHours(3)));
        await Stores.Silences.CreateAsync(Silence("s-a", T0, T0.AddHours(3)));
        await Stores.Silences.CreateAsync(Silence("s-early", T0.AddHours(-1), T0.AddHours(3)));

        Assert.Equal(["s-early", "s-a", "s-b", "s-late"], (await Stores.Silences.ListCurrentAsync(T0)).Select(s => s.Id));

        Assert.True(await Stores.Silences.ExpireAsync("s-late", T0.AddMinutes(5)));
        Assert.Equal(["s-early", "s-a", "s-b"], (await Stores.Silences.ListCurrentAsync(T0.AddMinutes(5))).Select(s => s.Id));
    }

    [Fact]
    public async Task Of_replicas_expiring_one_silence_at_once_exactly_one_does()
    {
        await Stores.Silences.CreateAsync(Silence("s1", T0, T0.AddHours(1)));

        var results = await RunConcurrentlyAsync(12, Replicas(2), (stores, i) => stores.Silences.ExpireAsync("s1", T0.AddSeconds(i + 1)));

        Assert.Single(results, expired => expired);
        var winner = Array.IndexOf(results, true);
        Assert.Equal(T0.AddSeconds(winner + 1), (await Stores.Silences.GetAsync("s1"))!.ExpiredAt);
    }
}
