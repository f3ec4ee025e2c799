using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using ChatOps.Postgres.Tests.Support;
using static ChatOps.Postgres.Tests.Metrics.MetricsTestData;

namespace ChatOps.Postgres.Tests.Metrics;

[Collection(PostgresCollection.Name)]
public sealed class PostgresMetricsStoreTests(PostgresServerFixture server) : IAsyncLifetime
{
    private TestSchema _schema = null!;
    private PostgresMetricsStore _store = null!;

    public async Task InitializeAsync()
    {
        _schema = await TestSchema.CreateAsync(server);
        _store = new PostgresMetricsStore(_schema.DataSources);
    }

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task Without_TimescaleDB_the_migration_chooses_partitioning()
    {
        Assert.Equal(MetricsBackend.Partitioned, await new PostgresMetricsMaintenance(_schema.DataSources).GetBackendAsync());
        Assert.Equal("p", await _schema.ScalarAsync<string>("SELECT relkind::text FROM pg_class WHERE oid = 'metric_samples'::regclass"));
    }

    [Fact]
    public async Task Appended_samples_come_back_at_raw_resolution_in_time_order()
    {
        await _store.AppendAsync([Cpu("web-1", H0.AddSeconds(20), 30), Cpu("web-1", H0, 10), Cpu("web-1", H0.AddSeconds(10), 20), Cpu("web-2", H0, 99)]);

        var series = await _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0, H0.AddMinutes(1)));

        Assert.Equal(MetricResolution.Raw, series.Resolution);
        Assert.Equal(
            [new MetricPoint(H0, 10, 10, 10, 1), new MetricPoint(H0.AddSeconds(10), 20, 20, 20, 1), new MetricPoint(H0.AddSeconds(20), 30, 30, 30, 1)],
            series.Points);
    }

    [Fact]
    public async Task The_window_includes_From_and_excludes_To()
    {
        await _store.AppendAsync([Cpu("web-1", H0, 1), Cpu("web-1", H0.AddSeconds(10), 2), Cpu("web-1", H0.AddSeconds(20), 3)]);

        var series = await _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0.AddSeconds(10), H0.AddSeconds(20)));

        Assert.Equal([H0.AddSeconds(10)], series.Points.Select(p => p.At));
    }

    [Fact]
    public async Task Appending_the_same_snapshots_again_stores_them_once()
    {
        var batch = Enumerable.Range(0, 100).Select(i => Snapshot("web-1", H0.AddSeconds(i),
            Sample(MetricNames.CpuPercent, i), Sample(MetricNames.DiskUsedPercent, i, ("mount", "/")), Sample(MetricNames.DiskUsedPercent, i + 1, ("mount", "/data")))).ToList();

        await _store.AppendAsync(batch);
        await _store.AppendAsync(batch);
        await _store.AppendAsync(batch.Skip(50).Concat(batch.Take(10)).ToList());

        Assert.Equal(300, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
    }

    [Fact]
    public async Task A_redelivered_batch_with_new_samples_stores_the_new_ones_and_keeps_the_first_values()
    {
        await _store.AppendAsync([Cpu("web-1", H0, 10), Cpu("web-1", H0.AddSeconds(10), 20)]);

        // Half stored already (with other values: the first write wins), half new: the direct COPY
        // hits the unique key and the batch goes through the staging table.
        await _store.AppendAsync([Cpu("web-1", H0, 111), Cpu("web-1", H0.AddSeconds(10), 222), Cpu("web-1", H0.AddSeconds(20), 30)]);

        var points = (await _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0, H0.AddMinutes(1)))).Points;
        Assert.Equal([10.0, 20.0, 30.0], points.Select(p => p.Avg));
    }

    [Fact]
    public async Task Duplicates_inside_one_batch_are_stored_once()
    {
        await _store.AppendAsync([Cpu("web-1", H0, 10), Cpu("web-1", H0, 10), Snapshot("web-1", H0.AddSeconds(1), Sample("load1", 1), Sample("load1", 1))]);

        Assert.Equal(2, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
    }

    [Fact]
    public async Task Label_order_does_not_make_a_new_series()
    {
        var labels = new[] { ("mount", "/"), ("device", "sda1") };
        await _store.AppendAsync([Snapshot("web-1", H0, Sample(MetricNames.DiskUsedPercent, 50, labels))]);
        await _store.AppendAsync([Snapshot("web-1", H0, Sample(MetricNames.DiskUsedPercent, 50, [.. labels.Reverse()]))]);

        Assert.Equal(1, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
    }

    [Fact]
    public async Task The_staging_path_stores_exactly_what_the_direct_COPY_stores()
    {
        var staging = new PostgresMetricsStore(_schema.DataSources) { CopyMode = MetricsCopyMode.Staging };
        var batch = Enumerable.Range(0, 50).Select(i => Snapshot("web-1", H0.AddSeconds(i), Sample("load1", i * 0.5), Sample("mem", i, ("kind", "used")))).ToList();

        await staging.AppendAsync(batch);
        await staging.AppendAsync(batch);
        await _store.AppendAsync(batch);

        Assert.Equal(100, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
        Assert.Equal(
            Enumerable.Range(0, 50).Select(i => i * 0.5),
            (await _store.QueryAsync(Query("web-1", "load1", H0, H0.AddMinutes(1)))).Points.Select(p => p.Avg));
    }

    [Fact]
    public async Task Labels_narrow_the_series_and_matching_series_are_combined_per_instant()
    {
        await _store.AppendAsync(
        [
            Snapshot("web-1", H0, Sample(MetricNames.DiskUsedPercent, 40, ("mount", "/")), Sample(MetricNames.DiskUsedPercent, 80, ("mount", "/data"))),
            Snapshot("web-1", H0.AddSeconds(10), Sample(MetricNames.DiskUsedPercent, 42, ("mount", "/")), Sample(MetricNames.DiskUsedPercent, 90, ("mount", "/data"))),
        ]);

        var root = await _store.QueryAsync(Query("web-1", MetricNames.DiskUsedPercent, H0, H0.AddMinutes(1), labels: new Dictionary<string, string> { ["mount"] = "/" }));
        var all = await _store.QueryAsync(Query("web-1", MetricNames.DiskUsedPercent, H0, H0.AddMinutes(1)));
        var none = await _store.QueryAsync(Query("web-1", MetricNames.DiskUsedPercent, H0, H0.AddMinutes(1), labels: new Dictionary<string, string> { ["mount"] = "/nope" }));

        Assert.Equal([new MetricPoint(H0, 40, 40, 40, 1), new MetricPoint(H0.AddSeconds(10), 42, 42, 42, 1)], root.Points);
        Assert.Equal([new MetricPoint(H0, 60, 40, 80, 2), new MetricPoint(H0.AddSeconds(10), 66, 42, 90, 2)], all.Points);
        Assert.Empty(none.Points);
    }

    [Theory]
    [InlineData(1, MetricResolution.Raw)]
    [InlineData(6 * 60, MetricResolution.Raw)]
    [InlineData(6 * 60 + 1, MetricResolution.Minute)]
    [InlineData(7 * 24 * 60, MetricResolution.Minute)]
    [InlineData(7 * 24 * 60 + 1, MetricResolution.Hour)]
    [InlineData(90 * 24 * 60, MetricResolution.Hour)]
    public void Auto_picks_raw_up_to_6_hours_minutes_up_to_7_days_and_hours_beyond(int windowMinutes, MetricResolution expected)
    {
        var query = Query("web-1", MetricNames.CpuPercent, H0, H0.AddMinutes(windowMinutes));

        Assert.Equal(expected, PostgresMetricsStore.Resolve(query));
        Assert.Equal(MetricResolution.Raw, PostgresMetricsStore.Resolve(query with { Resolution = MetricResolution.Raw }));
    }

    [Fact]
    public async Task Auto_answers_each_window_at_its_resolution_from_the_same_data()
    {
        // Two samples a minute for 3 hours: 10 and 20 in the first half-minute and second.
        var snapshots = Enumerable.Range(0, 180).SelectMany(minute => new[]
        {
            Cpu("web-1", H0.AddMinutes(minute), 10), Cpu("web-1", H0.AddMinutes(minute).AddSeconds(30), 20),
        }).ToList();
        await _store.AppendAsync(snapshots);

        var raw = await _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0, H0.AddHours(1)));
        var minutes = await _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0, H0.AddDays(2)));
        var hours = await _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0.AddDays(-20), H0.AddDays(10)));

        Assert.Equal(MetricResolution.Raw, raw.Resolution);
        Assert.Equal(120, raw.Points.Count);
        Assert.Equal(MetricResolution.Minute, minutes.Resolution);
        Assert.Equal(180, minutes.Points.Count);
        Assert.All(minutes.Points, p => Assert.Equal((15.0, 10.0, 20.0, 2L), (p.Avg, p.Min, p.Max, p.Count)));
        Assert.Equal(MetricResolution.Hour, hours.Resolution);
        Assert.Equal([H0, H0.AddHours(1), H0.AddHours(2)], hours.Points.Select(p => p.At));
        Assert.All(hours.Points, p => Assert.Equal((15.0, 10.0, 20.0, 120L), (p.Avg, p.Min, p.Max, p.Count)));
    }

    [Fact]
    public async Task A_bad_snapshot_is_refused_and_nothing_of_its_batch_is_stored()
    {
        var good = Cpu("web-1", H0, 10);

        await Assert.ThrowsAsync<ArgumentException>(() => _store.AppendAsync([good, Cpu("web-1", H0.AddSeconds(1), double.NaN)]));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.AppendAsync([good, Cpu(" ", H0, 1)]));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.AppendAsync([good, Snapshot("web-1", H0, Sample("", 1))]));

        Assert.Equal(0, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
    }

    [Fact]
    public async Task A_query_with_an_empty_window_or_no_series_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0, H0)));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0, H0.AddHours(-1))));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.QueryAsync(Query("", MetricNames.CpuPercent, H0, H0.AddHours(1))));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.QueryAsync(Query("web-1", MetricNames.CpuPercent, H0, H0.AddHours(1), (MetricResolution)42)));
    }

    [Fact]
    public async Task Appending_to_a_schema_that_was_never_migrated_says_so()
    {
        await using var unmigrated = await TestSchema.CreateAsync(server, migrate: false);
        await unmigrated.ExecuteAsync($"CREATE SCHEMA {unmigrated.Name}");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new PostgresMetricsStore(unmigrated.DataSources).AppendAsync([Cpu("web-1", H0, 1)]));

        Assert.Contains("migrations have not run", error.Message, StringComparison.Ordinal);
    }
}
