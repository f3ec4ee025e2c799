using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Tests.Support;
using static ChatOps.Postgres.Tests.Metrics.MetricsTestData;

namespace ChatOps.Postgres.Tests.Metrics;

[Collection(PostgresCollection.Name)]
public sealed class MetricsRollupTests(PostgresServerFixture server) : IAsyncLifetime
{
    private static readonly string[] Servers = ["web-1", "web-2"];

    private TestSchema _schema = null!;
    private PostgresMetricsMaintenance _maintenance = null!;
    private PostgresMetricsStore _store = null!;

    public async Task InitializeAsync()
    {
        _schema = await TestSchema.CreateAsync(server);
        _maintenance = new PostgresMetricsMaintenance(_schema.DataSources);
        _store = new PostgresMetricsStore(_schema.DataSources);
    }

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task Minute_and_hour_buckets_equal_the_aggregates_of_the_raw_samples()
    {
        var samples = await AppendIrregularSamplesAsync(H0, TimeSpan.FromHours(3) + TimeSpan.FromMinutes(17));
        var now = H0.AddHours(3).AddMinutes(17).AddSeconds(30);

        var result = await _maintenance.RollupAsync(now);

        Assert.True(result.Ran);
        Assert.Equal(H0.AddHours(3).AddMinutes(17), result.MinuteRolledUpTo);
        Assert.Equal(H0.AddHours(3), result.HourRolledUpTo);

        // Only finished buckets: everything before the minute of "now", and before its hour.
        var expectedMinutes = Aggregate(samples.Where(s => s.At < result.MinuteRolledUpTo), TimeSpan.FromMinutes(1));
        var expectedHours = Aggregate(samples.Where(s => s.At < result.HourRolledUpTo), TimeSpan.FromHours(1));
        AssertSameBuckets(expectedMinutes, await BucketsAsync("metric_1m"));
        AssertSameBuckets(expectedHours, await BucketsAsync("metric_1h"));
        Assert.Equal(3 * 2 * 3, expectedHours.Count);

        // And the same as PostgreSQL computes over the raw table directly.
        AssertSameBuckets(await RawAggregateAsync("1 minute", result.MinuteRolledUpTo!.Value), await BucketsAsync("metric_1m"));
    }

    [Fact]
    public async Task Running_again_writes_nothing_and_changes_nothing()
    {
        await AppendIrregularSamplesAsync(H0, TimeSpan.FromMinutes(90));
        var now = H0.AddMinutes(95);
        await _maintenance.RollupAsync(now);
        var before = await BucketsAsync("metric_1m");

        var again = await _maintenance.RollupAsync(now);

        Assert.Equal((0L, 0L), (again.MinuteRowsWritten, again.HourRowsWritten));
        AssertSameBuckets(before, await BucketsAsync("metric_1m"));
    }

    [Fact]
    public async Task A_late_sample_inside_the_late_data_window_updates_its_bucket_on_the_next_run()
    {
        await _store.AppendAsync([Cpu("web-1", H0.AddSeconds(10), 10), Cpu("web-1", H0.AddSeconds(20), 20)]);
        await _maintenance.RollupAsync(H0.AddMinutes(2));

        await _store.AppendAsync([Cpu("web-1", H0.AddSeconds(50), 60)]);
        await _maintenance.RollupAsync(H0.AddMinutes(3));

        var bucket = Assert.Single(await BucketsAsync("metric_1m"));
        Assert.Equal(new Bucket("web-1", "cpu_percent", "{}", H0, 90, 3, 10, 60), bucket);
    }

    [Fact]
    public async Task Minute_and_hour_queries_read_rollups_up_to_the_watermark_and_raw_samples_after_it()
    {
        var samples = await AppendIrregularSamplesAsync(H0, TimeSpan.FromHours(2));
        await _maintenance.RollupAsync(H0.AddMinutes(70));

        // Samples that arrive after the run (late for an old bucket and fresh ones) are not in
        // the rollups yet; a query must still see the fresh ones.
        var fresh = Enumerable.Range(0, 30).Select(i => Cpu("web-1", H0.AddHours(2).AddSeconds(i * 10), 50 + i)).ToList();
        await _store.AppendAsync(fresh);
        samples.AddRange(fresh.Select(s => new RawSample("web-1", "cpu_percent", "{}", s.At, s.Samples[0].Value)));

        var cpu = samples.Where(s => s.ServerId == "web-1" && s.Name == "cpu_percent").ToList();
        var minutes = await _store.QueryAsync(Query("web-1", "cpu_percent", H0, H0.AddHours(3), MetricResolution.Minute));
        var hours = await _store.QueryAsync(Query("web-1", "cpu_percent", H0, H0.AddHours(3), MetricResolution.Hour));

        AssertSamePoints(Points(cpu, TimeSpan.FromMinutes(1)), minutes.Points);
        AssertSamePoints(Points(cpu, TimeSpan.FromHours(1)), hours.Points);
        Assert.Equal(3, hours.Points.Count);
    }

    [Fact]
    public async Task Without_any_samples_a_run_does_nothing_and_sets_no_watermark()
    {
        var result = await _maintenance.RollupAsync(H0);

        Assert.Equal(new MetricsRollupResult(true, null, null, 0, 0), result);
        Assert.Equal(0, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_rollup_state"));
    }

    [Fact]
    public async Task While_another_replica_holds_the_rollup_lock_a_run_steps_aside()
    {
        await AppendIrregularSamplesAsync(H0, TimeSpan.FromMinutes(5));
        await using var other = await _schema.DataSources.Primary.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", other, transaction))
        {
            take.Parameters.AddWithValue("key", Internal.PostgresNames.LockKey("metric-rollup", _schema.Name));
            await take.ExecuteNonQueryAsync();
        }

        var result = await _maintenance.RollupAsync(H0.AddMinutes(10));

        Assert.False(result.Ran);
        Assert.Equal(0, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_1m"));
    }

    private sealed record RawSample(string ServerId, string Name, string Labels, DateTimeOffset At, double Value);

    private sealed record Bucket(string ServerId, string Name, string Labels, DateTimeOffset At, double Sum, long Count, double Min, double Max);

    /// <summary>Samples every 3-11 s (seeded) for two servers, a plain metric and one with two label sets.</summary>
    private async Task<List<RawSample>> AppendIrregularSamplesAsync(DateTimeOffset from, TimeSpan length)
    {
        var random = new Random(7);
        var samples = new List<RawSample>();
        var snapshots = new List<MetricSnapshot>();
        foreach (var serverId in Servers)
        {
            for (var at = from; at < from + length; at = at.AddMilliseconds(random.Next(3000, 11000)))
            {
                double Next() => Math.Round(random.NextDouble() * 100, 3);
                var cpu = Next();
                var root = Next();
                var data = Next();
                snapshots.Add(Snapshot(serverId, at,
                    Sample("cpu_percent", cpu), Sample("disk_used_percent", root, ("mount", "/")), Sample("disk_used_percent", data, ("mount", "/data"))));
                samples.Add(new RawSample(serverId, "cpu_percent", "{}", at, cpu));
                samples.Add(new RawSample(serverId, "disk_used_percent", """{"mount": "/"}""", at, root));
                samples.Add(new RawSample(serverId, "disk_used_percent", """{"mount": "/data"}""", at, data));
            }
        }

        foreach (var chunk in snapshots.Chunk(500))
        {
            await _store.AppendAsync(chunk);
        }

        return samples;
    }

    private static List<Bucket> Aggregate(IEnumerable<RawSample> samples, TimeSpan size) =>
        samples
            .GroupBy(s => (s.ServerId, s.Name, s.Labels, At: Floor(s.At, size)))
            .Select(g => new Bucket(g.Key.ServerId, g.Key.Name, g.Key.Labels, g.Key.At, g.Sum(s => s.Value), g.Count(), g.Min(s => s.Value), g.Max(s => s.Value)))
            .OrderBy(b => b.ServerId, StringComparer.Ordinal).ThenBy(b => b.Name, StringComparer.Ordinal).ThenBy(b => b.Labels, StringComparer.Ordinal).ThenBy(b => b.At)
            .ToList();

    private static List<MetricPoint> Points(IEnumerable<RawSample> samples, TimeSpan size) =>
        samples
            .GroupBy(s => Floor(s.At, size))
            .OrderBy(g => g.Key)
            .Select(g => new MetricPoint(g.Key, g.Average(s => s.Value), g.Min(s => s.Value), g.Max(s => s.Value), g.Count()))
            .ToList();

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan size) => new(at.UtcTicks - (at.UtcTicks % size.Ticks), TimeSpan.Zero);

    private async Task<List<Bucket>> BucketsAsync(string table) =>
        (await _schema.QueryAsync<(string ServerId, string Name, string Labels, DateTime Bucket, double Sum, long Count, double Min, double Max)>(
            $"SELECT server_id, name, labels::text, bucket, value_sum, value_count, value_min, value_max FROM {table} ORDER BY server_id, name, labels::text, bucket"))
        .Select(r => new Bucket(r.ServerId, r.Name, r.Labels, new DateTimeOffset(r.Bucket, TimeSpan.Zero), r.Sum, r.Count, r.Min, r.Max))
        .ToList();

    private async Task<List<Bucket>> RawAggregateAsync(string size, DateTimeOffset before) =>
        (await _schema.QueryAsync<(string ServerId, string Name, string Labels, DateTime Bucket, double Sum, long Count, double Min, double Max)>(
            $"""
            SELECT server_id, name, labels::text, date_bin('{size}', at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS b,
                   sum(value), count(*), min(value), max(value)
            FROM metric_samples WHERE at < @before GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            """, new { before = before.UtcDateTime }))
        .Select(r => new Bucket(r.ServerId, r.Name, r.Labels, new DateTimeOffset(r.Bucket, TimeSpan.Zero), r.Sum, r.Count, r.Min, r.Max))
        .ToList();

    // Sums may differ in the last bits (another addition order); everything else is exact.
    private static void AssertSameBuckets(IReadOnlyList<Bucket> expected, IReadOnlyList<Bucket> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i] with { Sum = 0 }, actual[i] with { Sum = 0 });
            Assert.Equal(expected[i].Sum, actual[i].Sum, 1e-9);
        }
    }

    private static void AssertSamePoints(IReadOnlyList<MetricPoint> expected, IReadOnlyList<MetricPoint> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i] with { Avg = 0 }, actual[i] with { Avg = 0 });
            Assert.Equal(expected[i].Avg, actual[i].Avg, 1e-9);
        }
    }
}
