using ChatOps.Core.Domain;
using ChatOps.Postgres.Tests.Support;
using static ChatOps.Postgres.Tests.Metrics.MetricsTestData;

namespace ChatOps.Postgres.Tests.Metrics;

[Collection(PostgresCollection.Name)]
public sealed class MetricsPartitionTests(PostgresServerFixture server) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2025, 3, 4, 17, 45, 0, TimeSpan.Zero);

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
    public async Task Partitions_are_created_for_today_and_the_days_ahead_once()
    {
        var first = await _maintenance.EnsurePartitionsAsync(Now);
        var again = await _maintenance.EnsurePartitionsAsync(Now.AddHours(1));

        string[] expected = ["metric_samples_p20250304", "metric_samples_p20250305", "metric_samples_p20250306", "metric_samples_p20250307"];
        Assert.Equal(expected, first.Created);
        Assert.Empty(again.Created);
        Assert.Equal(expected, await PartitionsAsync());
    }

    [Fact]
    public async Task A_partition_holds_exactly_its_UTC_day()
    {
        await _maintenance.EnsurePartitionsAsync(Now);
        await _store.AppendAsync([Cpu("web-1", new DateTimeOffset(2025, 3, 4, 23, 59, 59, 999, TimeSpan.Zero), 1), Cpu("web-1", new DateTimeOffset(2025, 3, 5, 2, 0, 0, TimeSpan.FromHours(2)), 2)]);

        Assert.Equal(1, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples_p20250304"));
        Assert.Equal(1, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples_p20250305"));
    }

    [Fact]
    public async Task The_job_moves_ahead_with_the_clock()
    {
        await _maintenance.EnsurePartitionsAsync(Now);

        var later = await _maintenance.EnsurePartitionsAsync(Now.AddDays(2));

        Assert.Equal(["metric_samples_p20250308", "metric_samples_p20250309"], later.Created);
    }

    [Fact]
    public async Task Appending_to_a_day_without_a_partition_creates_it()
    {
        var longAgo = new DateTimeOffset(2024, 12, 24, 12, 0, 0, TimeSpan.Zero);

        await _store.AppendAsync([Cpu("web-1", longAgo, 1), Cpu("web-1", longAgo.AddDays(1), 2)]);

        Assert.Equal(["metric_samples_p20241224", "metric_samples_p20241225"], await PartitionsAsync());
        Assert.Equal(2, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
    }

    [Fact]
    public async Task Retention_drops_the_partitions_past_it_and_keeps_the_rest_with_their_data()
    {
        // 40 days of one sample a day, then retention (30 days) at the end of it.
        var firstDay = Now.AddDays(-39);
        await _store.AppendAsync(Enumerable.Range(0, 40).Select(day => Cpu("web-1", firstDay.AddDays(day), day)).ToList());

        var result = await _maintenance.ApplyRetentionAsync(Now);

        // Cut-off 2025-02-02 17:45: days ending by then go (up to 2025-02-01), 2025-02-02 stays whole.
        Assert.Equal(
            Enumerable.Range(0, 9).Select(day => $"metric_samples_p{firstDay.AddDays(day):yyyyMMdd}"),
            result.DroppedPartitions);
        Assert.Equal("metric_samples_p20250202", (await PartitionsAsync())[0]);
        Assert.Equal(31, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
        Assert.Equal(9.0, await _schema.ScalarAsync<double>("SELECT min(value) FROM metric_samples"));
        Assert.Empty((await _maintenance.ApplyRetentionAsync(Now)).DroppedPartitions);
    }

    [Fact]
    public async Task Retention_deletes_rollup_buckets_past_their_retention()
    {
        await _schema.ExecuteAsync("""
            INSERT INTO metric_1m VALUES
                ('web-1', 'load1', '{}', @old, 1, 1, 1, 1),
                ('web-1', 'load1', '{}', @recent, 1, 1, 1, 1);
            INSERT INTO metric_1h VALUES
                ('web-1', 'load1', '{}', @old, 1, 1, 1, 1),
                ('web-1', 'load1', '{}', @ancient, 1, 1, 1, 1);
            """, new { old = Now.AddDays(-31).UtcDateTime, recent = Now.AddDays(-29).UtcDateTime, ancient = Now.AddDays(-366).UtcDateTime });

        var result = await _maintenance.ApplyRetentionAsync(Now);

        Assert.Equal((1L, 1L), (result.MinuteRowsDeleted, result.HourRowsDeleted));
        Assert.Equal([Now.AddDays(-29).UtcDateTime], await _schema.QueryAsync<DateTime>("SELECT bucket FROM metric_1m"));
        Assert.Equal([Now.AddDays(-31).UtcDateTime], await _schema.QueryAsync<DateTime>("SELECT bucket FROM metric_1h"));
    }

    [Fact]
    public async Task A_late_sample_for_a_dropped_day_gets_its_partition_back_instead_of_failing_forever()
    {
        var old = Now.AddDays(-35);
        await _store.AppendAsync([Cpu("web-1", old, 1)]);
        Assert.Contains($"metric_samples_p{old:yyyyMMdd}", (await _maintenance.ApplyRetentionAsync(Now)).DroppedPartitions);

        // The store still believes the partition exists; the insert finds none and recreates it.
        await _store.AppendAsync([Cpu("web-1", old.AddMinutes(1), 2)]);

        Assert.Equal(1, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
    }

    [Fact]
    public async Task Partition_creation_from_two_replicas_at_once_creates_each_partition_once()
    {
        var replicas = Enumerable.Range(0, 4).Select(_ => new PostgresMetricsMaintenance(_schema.NewDataSources())).ToList();

        var results = await Task.WhenAll(replicas.Select(replica => Task.Run(() => replica.EnsurePartitionsAsync(Now))));

        Assert.Equal(4, results.Sum(result => result.Created.Count));
        Assert.Equal(4, (await PartitionsAsync()).Count);
    }

    private Task<IReadOnlyList<string>> PartitionsAsync() => _schema.QueryAsync<string>("""
        SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'metric_samples'::regclass ORDER BY 1
        """);
}
