using ChatOps.Core.Domain;
using Microsoft.Extensions.Time.Testing;
using static ChatOps.Postgres.Tests.Metrics.MetricsTestData;

namespace ChatOps.Postgres.Tests.Metrics;

/// <summary>Full batches stored side by side, with "stored" and the buffer bound still exact.</summary>
public sealed class PostgresMetricsIngestorParallelTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly ScriptedMetricsStore _store = new();
    private readonly PostgresMetricsIngestor _ingestor;

    public PostgresMetricsIngestorParallelTests() =>
        _ingestor = new PostgresMetricsIngestor(_store, new PostgresMetricsOptions
        {
            IngestBatchSize = 10,
            IngestBufferCapacity = 30,
            IngestParallelFlushes = 2,
        }, new FakeTimeProvider(H0));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ingestor.DisposeAsync();

    [Fact]
    public async Task Two_full_batches_are_stored_at_once_and_a_flush_waits_for_the_older_one()
    {
        await _ingestor.EnqueueAsync(Snapshot10(0));
        await _ingestor.EnqueueAsync(Snapshot10(1));

        // Both batches are in the store at the same time: neither has been answered yet. Two writers
        // store them, so which reaches the store first is theirs to race; name them by their batch.
        var inStore = new[] { await _store.NextCallAsync(), await _store.NextCallAsync() }.OrderBy(call => Second(call.Batch[0])).ToArray();
        var (first, second) = (inStore[0], inStore[1]);
        Assert.Equal([0, 1], inStore.Select(call => Second(call.Batch[0])));

        await _ingestor.EnqueueAsync(Snapshot10(2));
        var flushed = _ingestor.FlushAsync();
        var blocked = _ingestor.EnqueueAsync(Snapshot10(3)).AsTask(); // 30 of 30 held: waits for room

        // The newer batch finishing first frees room but stores nothing "up to" the flush.
        second.Store();
        await blocked.WaitAsync(Wait);
        var third = await _store.NextCallAsync();
        Assert.Equal(2, Second(third.Batch[0]));
        third.Store();

        // The fourth batch goes out once the third's slot is free, so the third is counted by now.
        var fourth = await _store.NextCallAsync();
        Assert.Equal(3, Second(fourth.Batch[0]));
        Assert.Equal(20, _ingestor.StoredSampleCount);
        Assert.False(flushed.IsCompleted);

        first.Store();
        await flushed.WaitAsync(Wait);
        fourth.Store();
        await _ingestor.FlushAsync().WaitAsync(Wait);

        Assert.Equal([0, 1, 2, 3], _store.Stored.Select(Second).Order());
        Assert.Equal(40, _ingestor.StoredSampleCount);
        Assert.Equal(0, _ingestor.BufferedCount);
    }

    private static int Second(MetricSnapshot snapshot) => (int)(snapshot.At - H0).TotalSeconds;

    private static MetricSnapshot Snapshot10(int second) =>
        Snapshot("web-1", H0.AddSeconds(second), [.. Enumerable.Range(0, 10).Select(i => Sample($"m{i}", i))]);
}
