using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static ChatOps.Postgres.Tests.Metrics.MetricsTestData;

namespace ChatOps.Postgres.Tests.Metrics;

/// <summary>The ingestor against a real server that goes down mid-ingestion: its own server, since it stops it.</summary>
public sealed class MetricsIngestionRestartTests : IAsyncLifetime
{
    private const int SnapshotsPerPhase = 1000;
    private const int SamplesPerSnapshot = 3;

    private PostgresServer _server = null!;
    private PostgresDataSources _dataSources = null!;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        _dataSources = new PostgresDataSources(new PostgresStoreOptions
        {
            ConnectionString = _server.ConnectionString,
            Schema = "chatops",
            MaxRetryAttempts = 1,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        });
        await new PostgresMigrator(_dataSources, new FakeTimeProvider(H0)).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await _dataSources.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Samples_enqueued_while_the_server_is_down_are_all_stored_once_it_is_back()
    {
        var store = new FailureReportingStore(new PostgresMetricsStore(_dataSources));
        await using var ingestor = new PostgresMetricsIngestor(store, new PostgresMetricsOptions
        {
            IngestBatchSize = 300,
            IngestBufferCapacity = 1200,
            IngestFlushInterval = TimeSpan.FromMilliseconds(20),
            IngestRetryDelay = TimeSpan.FromMilliseconds(20),
            IngestRetryMaxDelay = TimeSpan.FromMilliseconds(200),
        }, TimeProvider.System);

        await EnqueuePhaseAsync(ingestor, 0);
        await ingestor.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(SnapshotsPerPhase * SamplesPerSnapshot, await CountAsync());

        // pg_ctl stop (fast, as pg_ctl restart does): sessions end, flushes fail, the producer fills the buffer and then waits.
        await _server.StopAsync();
        var producer = Task.Run(() => EnqueuePhaseAsync(ingestor, 1));
        await store.FirstFailure.WaitAsync(TimeSpan.FromSeconds(30));

        // pg_ctl start: the kept batches go in, the producer gets room again.
        await _server.StartAgainAsync();
        await producer.WaitAsync(TimeSpan.FromSeconds(60));
        await EnqueuePhaseAsync(ingestor, 2);
        await ingestor.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(ingestor.FailedFlushCount >= 1);
        Assert.Equal(3 * SnapshotsPerPhase * SamplesPerSnapshot, ingestor.StoredSampleCount);
        Assert.Equal(3 * SnapshotsPerPhase * SamplesPerSnapshot, await CountAsync());
        Assert.Equal(3 * SnapshotsPerPhase, await CountAsync("SELECT count(DISTINCT (server_id, at)) FROM metric_samples"));
    }

    private static async Task EnqueuePhaseAsync(PostgresMetricsIngestor ingestor, int phase)
    {
        for (var i = 0; i < SnapshotsPerPhase; i++)
        {
            var n = phase * SnapshotsPerPhase + i;
            await ingestor.EnqueueAsync(Snapshot($"web-{n % 10}", H0.AddSeconds(n),
                Sample(MetricNames.CpuPercent, n % 100), Sample(MetricNames.Load1, n * 0.01), Sample(MetricNames.DiskUsedPercent, 50, ("mount", "/"))));
        }
    }

    private async Task<long> CountAsync(string sql = "SELECT count(*) FROM metric_samples")
    {
        await using var connection = await _dataSources.Primary.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Passes calls through and reports the first one that failed.</summary>
    private sealed class FailureReportingStore(IMetricsStore inner) : IMetricsStore
    {
        private readonly TaskCompletionSource _firstFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstFailure => _firstFailure.Task;

        public async Task AppendAsync(IReadOnlyList<MetricSnapshot> batch, CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.AppendAsync(batch, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _firstFailure.TrySetResult();
                throw;
            }
        }

        public Task<MetricSeries> QueryAsync(MetricQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);
    }
}
