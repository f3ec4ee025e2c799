using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Embedded.Tests.State;

public sealed class InMemoryMetricsCacheTests : MetricsCacheConformance
{
    private readonly FakeTimeProvider _time = new();

    protected override TimeProvider Clock => _time;

    protected override Task<IMetricsCache> CreateCacheAsync() => Task.FromResult<IMetricsCache>(new InMemoryMetricsCache(_time));

    protected override Task AdvancePastAsync(TimeSpan span)
    {
        _time.Advance(span + TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_snapshot_lives_exactly_sixty_seconds_from_when_it_was_stored()
    {
        await Cache.SetLatestAsync(Snapshot("web-1", cpu: 3));

        _time.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));
        Assert.NotNull(await Cache.GetLatestAsync("web-1"));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await Cache.GetLatestAsync("web-1"));
    }

    [Fact]
    public async Task The_ttl_runs_from_storing_not_from_the_agents_own_timestamp()
    {
        // An agent whose clock is an hour behind still shows up.
        var skewed = Snapshot("web-1", cpu: 3) with { At = _time.GetUtcNow().AddHours(-1) };

        await Cache.SetLatestAsync(skewed);

        Assert.NotNull(await Cache.GetLatestAsync("web-1"));
    }

    [Fact]
    public async Task Storing_a_snapshot_renews_the_servers_ttl()
    {
        await Cache.SetLatestAsync(Snapshot("web-1", cpu: 1));
        _time.Advance(TimeSpan.FromSeconds(50));
        await Cache.SetLatestAsync(Snapshot("web-1", cpu: 2));
        _time.Advance(TimeSpan.FromSeconds(50));

        Assert.NotNull(await Cache.GetLatestAsync("web-1"));
    }
}
