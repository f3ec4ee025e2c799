using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOps.Postgres;

/// <summary>
/// Batches metric snapshots for <see cref="IMetricsStore.AppendAsync"/>: a batch goes out when
/// <see cref="PostgresMetricsOptions.IngestBatchSize"/> samples are waiting, or when the oldest
/// has waited <see cref="PostgresMetricsOptions.IngestFlushInterval"/>. A failed batch is kept and
/// retried with growing pauses until it is stored. Up to <see cref="PostgresMetricsOptions.IngestParallelFlushes"/>
/// full batches are stored at once. The buffer is bounded: when it holds
/// <see cref="PostgresMetricsOptions.IngestBufferCapacity"/> samples, <see cref="EnqueueAsync"/>
/// waits (back-pressure reaches the metrics-topic consumer) instead of dropping anything.
/// </summary>
/// <remarks>
/// Samples are stored once the call that enqueued them has returned, not before: a crash loses
/// what was buffered (at most about one flush interval of samples). <see cref="StopAsync"/> and
/// <see cref="FlushAsync"/> store everything buffered.
/// </remarks>
public sealed partial class PostgresMetricsIngestor : IHostedService, IAsyncDisposable
{
    private readonly IMetricsStore _store;
    private readonly PostgresMetricsOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Queue<Entry> _pending = new();
    private readonly List<(long Seq, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _admission = new(1, 1);
    private readonly LinkedList<Flight> _inFlight = new();

    private TaskCompletionSource _spaceFreed = NewSignal();
    private TaskCompletionSource _work = NewSignal();
    private Task? _loop;
    private bool _stopped;
    private int _pendingSamples;
    private int _bufferedSamples;
    private long _enqueuedSeq;
    private long _storedSeq;
    private long _flushUpTo;
    private int _flushesRunning;
    private long _storedSampleCount;
    private long _failedFlushCount;
    private int _disposed;

    public PostgresMetricsIngestor(IMetricsStore store, IOptions<PostgresStoreOptions> options, TimeProvider timeProvider, ILogger<PostgresMetricsIngestor>? logger = null)
        : this(store, options.Value.Metrics, timeProvider, logger)
    {
    }

    /// <exception cref="ArgumentException">The ingestion options are not usable.</exception>
    public PostgresMetricsIngestor(IMetricsStore store, PostgresMetricsOptions options, TimeProvider timeProvider, ILogger<PostgresMetricsIngestor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var failures = options.Validate($"{PostgresStoreOptions.SectionName}:Metrics").ToList();
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", failures), nameof(options));
        }

        _store = store;
        _options = options;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Samples buffered or in flight, not stored yet.</summary>
    public int BufferedCount
    {
        get { lock (_gate) { return _bufferedSamples; } }
    }

    /// <summary>How long the oldest sample not stored yet has been waiting (zero when all are stored).</summary>
    public TimeSpan Lag
    {
        get
        {
            lock (_gate)
            {
                var oldest = _inFlight.FirstOrDefault(flight => !flight.Stored)?.OldestAt ?? (_pending.TryPeek(out var first) ? first.EnqueuedAt : null);
                return oldest is { } at ? _timeProvider.GetUtcNow() - at : TimeSpan.Zero;
            }
        }
    }

    /// <summary>Samples stored since start.</summary>
    public long StoredSampleCount => Interlocked.Read(ref _storedSampleCount);

    /// <summary>Flushes that failed (and were retried) since start.</summary>
    public long FailedFlushCount => Interlocked.Read(ref _failedFlushCount);

    public int BufferCapacity => _options.IngestBufferCapacity;

    /// <summary>
    /// Buffers a snapshot; completes at once while there is room, and otherwise waits until a
    /// flush frees enough (a snapshot larger than the whole buffer waits for an empty buffer).
    /// </summary>
    /// <exception cref="ArgumentException">The snapshot cannot be stored (no server id, a nameless sample, a non-finite value).</exception>
    /// <exception cref="InvalidOperationException">The ingestor has stopped.</exception>
    public async ValueTask EnqueueAsync(MetricSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        MetricRow.Validate(snapshot);
        var samples = snapshot.Samples.Count;
        if (samples == 0)
        {
            return;
        }

        // One enqueuer at a time waits for room, in arrival order (SemaphoreSlim queues its async
        // waiters first come, first served), so a large snapshot is not starved by small ones.
        await _admission.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                Task waitForSpace;
                lock (_gate)
                {
                    ObjectDisposedException.ThrowIf(_stopped, this);
                    if (_bufferedSamples == 0 || _bufferedSamples + samples <= _options.IngestBufferCapacity)
                    {
                        var wasEmpty = _pending.Count == 0;
                        _pending.Enqueue(new Entry(snapshot, samples, _timeProvider.GetUtcNow(), ++_enqueuedSeq));
                        _pendingSamples += samples;
                        _bufferedSamples += samples;
                        EnsureLoopStarted();
                        if (wasEmpty || _pendingSamples >= _options.IngestBatchSize)
                        {
                            // The loop arms the interval timer for a first entry, or sends a full batch.
                            Wake();
                        }

                        return;
                    }

                    waitForSpace = _spaceFreed.Task;
                }

                await waitForSpace.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            _admission.Release();
        }
    }

    /// <summary>Completes when everything enqueued before this call is stored (retrying as long as it takes).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_storedSeq >= _enqueuedSeq)
            {
                return Task.CompletedTask;
            }

            var done = NewSignal();
            _flushWaiters.Add((_enqueuedSeq, done));
            _flushUpTo = Math.Max(_flushUpTo, _enqueuedSeq);
            EnsureLoopStarted();
            Wake();
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            EnsureLoopStarted();
        }

        return Task.CompletedTask;
    }

    /// <summary>Stores what is buffered, then stops; what is still buffered when <paramref name="cancellationToken"/> fires is lost (and logged).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task flushed;
        lock (_gate)
        {
            _stopped = true;
            flushed = _storedSeq >= _enqueuedSeq ? Task.CompletedTask : FlushLocked();
            _spaceFreed.TrySetResult();
        }

        try
        {
            await flushed.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Log.Abandoned(_logger, BufferedCount);
        }
        finally
        {
            await _stopping.CancelAsync();
            if (_loop is not null)
            {
                await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Stops at once; call <see cref="StopAsync"/> first to store what is buffered.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync(new CancellationToken(canceled: true));
        _stopping.Dispose();
    }

    private Task FlushLocked()
    {
        var done = NewSignal();
        _flushWaiters.Add((_enqueuedSeq, done));
        _flushUpTo = Math.Max(_flushUpTo, _enqueuedSeq);
        EnsureLoopStarted();
        Wake();
        return done.Task;
    }

    private void EnsureLoopStarted() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    private void Wake() => _work.TrySetResult();

    private async Task RunAsync(CancellationToken stopping)
    {
        var running = new List<Task>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                Flight? flight = null;
                Task wake;
                TimeSpan? due = null;
                lock (_gate)
                {
                    if (_flushesRunning < _options.IngestParallelFlushes)
                    {
                        flight = TakeDueBatch(out due);
                    }

                    if (flight is null)
                    {
                        if (_work.Task.IsCompleted)
                        {
                            _work = NewSignal();
                        }

                        wake = _work.Task;
                    }
                    else
                    {
                        wake = Task.CompletedTask;
                    }
                }

                if (flight is null)
                {
                    try
                    {
                        await (due is { } wait ? Task.WhenAny(wake, Task.Delay(wait, _timeProvider, stopping)) : wake.WaitAsync(stopping));
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    continue;
                }

                running.RemoveAll(task => task.IsCompleted);
                running.Add(StoreAsync(flight, stopping));
            }
        }
        finally
        {
            // Stopping cancels their retries; each logs what it abandons.
            await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// The next batch if one is due (full, old enough, or asked for by a flush); else when to look
    /// again (null: when woken). While a flush runs only full or asked-for batches go out beside it:
    /// a partial batch waits for it, as it would with one flush at a time.
    /// </summary>
    private Flight? TakeDueBatch(out TimeSpan? due)
    {
        due = null;
        if (!_pending.TryPeek(out var oldest))
        {
            return null;
        }

        var age = _timeProvider.GetUtcNow() - oldest.EnqueuedAt;
        var isDue = _pendingSamples >= _options.IngestBatchSize || oldest.Seq <= _flushUpTo || (_flushesRunning == 0 && age >= _options.IngestFlushInterval);
        if (!isDue)
        {
            // A finished flush wakes the loop, which then arms the timer if nothing else runs.
            due = _flushesRunning == 0 ? _options.IngestFlushInterval - age : null;
            return null;
        }

        var batch = new List<MetricSnapshot>();
        var samples = 0;
        long lastSeq = 0;
        while (samples < _options.IngestBatchSize && _pending.TryDequeue(out var entry))
        {
            batch.Add(entry.Snapshot);
            samples += entry.Samples;
            lastSeq = entry.Seq;
        }

        _pendingSamples -= samples;
        _flushesRunning++;
        var flight = new Flight(batch, samples, oldest.EnqueuedAt, lastSeq);
        _inFlight.AddLast(flight);
        return flight;
    }

    /// <returns>False when stopping cut the retries short (the batch is then lost, and logged).</returns>
    private async Task<bool> StoreAsync(Flight flight, CancellationToken stopping)
    {
        // Off the loop, so the next full batch can be taken while this one is prepared and copied.
        await Task.Yield();
        var delay = _options.IngestRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.AppendAsync(flight.Batch, stopping);
                break;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                Log.Abandoned(_logger, flight.Samples);
                return false;
            }
            catch (Exception ex)
            {
                // Kept and tried again: the store either stored the whole batch or nothing, and a
                // repeat of a stored batch is skipped by its unique key.
                Interlocked.Increment(ref _failedFlushCount);
                Log.FlushFailed(_logger, ex, flight.Samples, attempt, delay);
                try
                {
                    await Task.Delay(delay, _timeProvider, stopping);
                }
                catch (OperationCanceledException)
                {
                    Log.Abandoned(_logger, flight.Samples);
                    return false;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.IngestRetryMaxDelay.Ticks));
            }
        }

        Interlocked.Add(ref _storedSampleCount, flight.Samples);
        lock (_gate)
        {
            flight.Stored = true;
            _flushesRunning--;
            _bufferedSamples -= flight.Samples;

            // "Stored up to seq" only moves over a contiguous run: batches may finish out of order.
            while (_inFlight.First is { Value.Stored: true } head)
            {
                _storedSeq = head.Value.LastSeq;
                _inFlight.RemoveFirst();
            }

            _spaceFreed.TrySetResult();
            _spaceFreed = NewSignal();
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Seq <= _storedSeq)
                {
                    _flushWaiters[i].Done.TrySetResult();
                    _flushWaiters.RemoveAt(i);
                }
            }

            Wake();
        }

        return true;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Entry(MetricSnapshot Snapshot, int Samples, DateTimeOffset EnqueuedAt, long Seq);

    /// <summary>A batch being stored; <see cref="OldestAt"/> is when its first snapshot was enqueued.</summary>
    private sealed class Flight(List<MetricSnapshot> batch, int samples, DateTimeOffset oldestAt, long lastSeq)
    {
        public List<MetricSnapshot> Batch { get; } = batch;
        public int Samples { get; } = samples;
        public DateTimeOffset OldestAt { get; } = oldestAt;
        public long LastSeq { get; } = lastSeq;
        public bool Stored { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Samples} metric samples failed (attempt {Attempt}); keeping them and retrying in {Delay}")]
        public static partial void FlushFailed(ILogger logger, Exception exception, int samples, int attempt, TimeSpan delay);

        [LoggerMessage(Level = LogLevel.Error, Message = "Metrics ingestor stopped with {Samples} samples not stored")]
        public static partial void Abandoned(ILogger logger, int samples);
    }
}
