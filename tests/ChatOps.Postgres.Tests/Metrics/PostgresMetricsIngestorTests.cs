using ChatOps.Core.Domain;
using ChatOps.Postgres.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static ChatOps.Postgres.Tests.Metrics.MetricsTestData;

namespace ChatOps.Postgres.Tests.Metrics;

/// <summary>Batching, back-pressure and retry, against a scripted store and a fake clock.</summary>
public sealed class PostgresMetricsIngestorTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time;
    private readonly TimerWatchingTimeProvider _timers;
    private readonly ScriptedMetricsStore _store = new();
    private PostgresMetricsIngestor _ingestor = null!;

    public PostgresMetricsIngestorTests()
    {
        _time = new FakeTimeProvider(H0);
        _timers = new TimerWatchingTimeProvider(_time);
    }

    public Task InitializeAsync()
    {
        _ingestor = Create(batchSize: 10, capacity: 20);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _ingestor.DisposeAsync();

    [Fact]
    public async Task A_full_batch_is_sent_at_once_and_a_partial_one_after_the_flush_interval()
    {
        await _ingestor.EnqueueAsync(Snapshot10("web-1", 0));

        var full = await _store.NextCallAsync();
        Assert.Equal([Snapshot10("web-1", 0).At], full.Batch.Select(s => s.At));
        full.Store();

        await _ingestor.EnqueueAsync(Cpu("web-1", H0.AddSeconds(1), 1));
        // Move the clock only once the ingestor waits on its flush timer (a whole interval from now);
        // advancing earlier would arm that timer after the move, and it would never fire.
        while (await _timers.NextTimerAsync() != TimeSpan.FromSeconds(1)) { }
        Assert.False(_store.Calls.TryPeek(out _));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(_store.Calls.TryPeek(out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var partial = await _store.NextCallAsync();
        Assert.Single(partial.Batch);
        partial.Store();
        await _ingestor.FlushAsync().WaitAsync(Wait);
        Assert.Equal(11, _ingestor.StoredSampleCount);
        Assert.Equal(0, _ingestor.BufferedCount);
    }

    [Fact]
    public async Task A_full_buffer_makes_EnqueueAsync_wait_until_a_flush_frees_room_and_nothing_is_dropped()
    {
        await _ingestor.EnqueueAsync(Snapshot10("web-1", 0));
        var inFlight = await _store.NextCallAsync();
        await _ingestor.EnqueueAsync(Snapshot10("web-1", 1));
        Assert.Equal(20, _ingestor.BufferedCount);

        // 20 of 20 samples held (10 in flight, 10 waiting): the next one has to wait.
        var blocked = _ingestor.EnqueueAsync(Snapshot10("web-1", 2)).AsTask();
        var alsoBlocked = _ingestor.EnqueueAsync(Cpu("web-1", H0.AddSeconds(3), 1)).AsTask();
        Assert.False(blocked.IsCompleted);
        Assert.False(alsoBlocked.IsCompleted);

        inFlight.Store();
        await blocked.WaitAsync(Wait);

        (await _store.NextCallAsync()).Store();
        await alsoBlocked.WaitAsync(Wait);
        var flushed = _ingestor.FlushAsync();
        (await _store.NextCallAsync()).Store();
        (await _store.NextCallAsync()).Store();
        await flushed.WaitAsync(Wait);

        Assert.Equal([0, 1, 2, 3], _store.Stored.Select(s => (int)(s.At - H0).TotalSeconds).Order()); // two full batches are stored side by side
        Assert.Equal(31, _ingestor.StoredSampleCount);
    }

    [Fact]
    public async Task A_waiting_EnqueueAsync_can_be_cancelled_and_then_adds_nothing()
    {
        await _ingestor.EnqueueAsync(Snapshot10("web-1", 0));
        var inFlight = await _store.NextCallAsync();
        await _ingestor.EnqueueAsync(Snapshot10("web-1", 1));
        using var cancel = new CancellationTokenSource();

        var blocked = _ingestor.EnqueueAsync(Snapshot10("web-1", 2), cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        Assert.Equal(20, _ingestor.BufferedCount);
        inFlight.Store();
        (await _store.NextCallAsync()).Store();
        await _ingestor.FlushAsync().WaitAsync(Wait);
        Assert.Equal([0, 1], _store.Stored.Select(s => (int)(s.At - H0).TotalSeconds).Order()); // two full batches are stored side by side
    }

    [Fact]
    public async Task A_failed_flush_keeps_its_batch_and_retries_it_with_growing_pauses()
    {
        await _ingestor.EnqueueAsync(Snapshot10("web-1", 0));

        var first = await _store.NextCallAsync();
        first.Fail();

        // 200 ms before the first retry, then 400 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(200), await _timers.NextTimerAsync());
        Assert.Equal(1, _ingestor.FailedFlushCount);
        _time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(_store.Calls.TryPeek(out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var second = await _store.NextCallAsync();
        Assert.Equal(first.Batch, second.Batch);
        second.Fail();

        Assert.Equal(TimeSpan.FromMilliseconds(400), await _timers.NextTimerAsync());
        Assert.Equal(2, _ingestor.FailedFlushCount);
        _time.Advance(TimeSpan.FromMilliseconds(399));
        Assert.False(_store.Calls.TryPeek(out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var third = await _store.NextCallAsync();
        Assert.Equal(first.Batch, third.Batch);
        third.Store();

        await _ingestor.FlushAsync().WaitAsync(Wait);
        Assert.Equal(first.Batch, _store.Stored);
    }

    [Fact]
    public async Task Lag_is_the_age_of_the_oldest_sample_not_stored_yet()
    {
        Assert.Equal(TimeSpan.Zero, _ingestor.Lag);
        await _ingestor.EnqueueAsync(Snapshot10("web-1", 0));
        var inFlight = await _store.NextCallAsync();

        _time.Advance(TimeSpan.FromSeconds(5));
        await _ingestor.EnqueueAsync(Cpu("web-1", H0.AddSeconds(5), 1));
        _time.Advance(TimeSpan.FromMilliseconds(500));

        Assert.Equal(TimeSpan.FromSeconds(5.5), _ingestor.Lag);
        inFlight.Store();

        // Once the batch is stored the loop waits out the rest of the newer sample's interval.
        Assert.Equal(TimeSpan.FromMilliseconds(500), await _timers.NextTimerAsync());
        Assert.Equal(1, _ingestor.BufferedCount);
        Assert.Equal(TimeSpan.FromMilliseconds(500), _ingestor.Lag);
    }

    [Fact]
    public async Task Stopping_stores_what_is_buffered_and_later_enqueues_are_refused()
    {
        await _ingestor.EnqueueAsync(Cpu("web-1", H0, 1));

        var stopping = _ingestor.StopAsync(CancellationToken.None);
        (await _store.NextCallAsync()).Store();
        await stopping.WaitAsync(Wait);

        Assert.Single(_store.Stored);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => _ingestor.EnqueueAsync(Cpu("web-1", H0, 2)).AsTask());
    }

    [Fact]
    public async Task A_snapshot_that_cannot_be_stored_is_refused_by_EnqueueAsync_itself()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _ingestor.EnqueueAsync(Cpu("web-1", H0, double.PositiveInfinity)).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => _ingestor.EnqueueAsync(Cpu("", H0, 1)).AsTask());

        Assert.Equal(0, _ingestor.BufferedCount);
    }

    [Fact]
    public void Unusable_options_are_refused_naming_their_keys()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgresMetricsIngestor(
            _store, new PostgresMetricsOptions { IngestBatchSize = 0, IngestFlushInterval = TimeSpan.Zero }, _time));

        Assert.Contains("ChatOps:Postgres:Metrics:IngestBatchSize", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChatOps:Postgres:Metrics:IngestFlushInterval", error.Message, StringComparison.Ordinal);
    }

    private PostgresMetricsIngestor Create(int batchSize, int capacity) => new(_store, new PostgresMetricsOptions
    {
        IngestBatchSize = batchSize,
        IngestBufferCapacity = capacity,
        IngestFlushInterval = TimeSpan.FromSeconds(1),
        IngestRetryDelay = TimeSpan.FromMilliseconds(200),
        IngestRetryMaxDelay = TimeSpan.FromSeconds(2),
    }, _timers);

    /// <summary>Ten samples at second <paramref name="second"/>: one full batch.</summary>
    private static MetricSnapshot Snapshot10(string serverId, int second) =>
        Snapshot(serverId, H0.AddSeconds(second), [.. Enumerable.Range(0, 10).Select(i => Sample($"m{i}", i))]);
}
