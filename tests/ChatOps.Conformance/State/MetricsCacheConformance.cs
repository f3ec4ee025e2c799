using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Conformance.State;

/// <summary>What every <see cref="IMetricsCache"/> must do. Subclass once per adapter.</summary>
public abstract class MetricsCacheConformance : ExpiringStateConformance, IAsyncLifetime
{
    protected IMetricsCache Cache { get; private set; } = null!;

    /// <summary>The adapter's TTL; <see cref="IMetricsCache.Ttl"/> unless a test build shortens it.</summary>
    protected virtual TimeSpan CacheTtl => IMetricsCache.Ttl;

    protected abstract Task<IMetricsCache> CreateCacheAsync();

    public async Task InitializeAsync() => Cache = await CreateCacheAsync();

    public Task DisposeAsync() => StateDisposal.DisposeAsync(Cache);

    [Fact]
    public async Task The_latest_snapshot_is_returned_as_it_was_stored()
    {
        var snapshot = Snapshot(NewId("srv"), cpu: 42.5);

        await Cache.SetLatestAsync(snapshot);
        var found = await Cache.GetLatestAsync(snapshot.ServerId);

        Assert.NotNull(found);
        Assert.Equal(snapshot.ServerId, found.ServerId);
        Assert.Equal(snapshot.At, found.At);
        Assert.Equal(snapshot.Samples.Count, found.Samples.Count);
        for (var i = 0; i < snapshot.Samples.Count; i++)
        {
            Assert.Equal(snapshot.Samples[i].Name, found.Samples[i].Name);
            Assert.Equal(snapshot.Samples[i].Value, found.Samples[i].Value);
            Assert.Equal(snapshot.Samples[i].Labels.OrderBy(l => l.Key), found.Samples[i].Labels.OrderBy(l => l.Key));
        }
    }

    [Fact]
    public async Task A_newer_snapshot_replaces_the_older_one()
    {
        var server = NewId("srv");
        await Cache.SetLatestAsync(Snapshot(server, cpu: 10));

        await Cache.SetLatestAsync(Snapshot(server, cpu: 90));

        var found = await Cache.GetLatestAsync(server);
        Assert.Equal(90, found?.Samples.Single(s => s.Name == MetricNames.CpuPercent).Value);
    }

    [Fact]
    public async Task A_server_that_never_reported_has_no_snapshot()
    {
        await Cache.SetLatestAsync(Snapshot(NewId("srv"), cpu: 1));

        Assert.Null(await Cache.GetLatestAsync(NewId("srv")));
    }

    [Fact]
    public async Task A_snapshot_is_gone_once_its_ttl_passed()
    {
        var stale = Snapshot(NewId("srv"), cpu: 5);
        await Cache.SetLatestAsync(stale);

        await AdvancePastAsync(CacheTtl);
        var fresh = Snapshot(NewId("srv"), cpu: 6);
        await Cache.SetLatestAsync(fresh);

        Assert.Null(await Cache.GetLatestAsync(stale.ServerId));
        Assert.NotNull(await Cache.GetLatestAsync(fresh.ServerId));
    }

    [Fact]
    public async Task Bad_arguments_are_refused_clearly()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Cache.SetLatestAsync(null!));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Cache.SetLatestAsync(Snapshot("", cpu: 1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Cache.GetLatestAsync(""));
    }

    protected MetricSnapshot Snapshot(string serverId, double cpu) => new(
        serverId,
        DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds()),
        [
            new MetricSample(MetricNames.CpuPercent, new Dictionary<string, string>(), cpu),
            new MetricSample(MetricNames.DiskUsedPercent, new Dictionary<string, string> { ["mount"] = "/" }, 71.25),
            new MetricSample(MetricNames.DiskUsedPercent, new Dictionary<string, string> { ["mount"] = "/var" }, 12),
        ]);
}
