using ChatOps.Core.Ports;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// One consumer-group member, handed back by <see cref="KafkaEventBus.SubscribeAsync"/>. Its consumer
/// lives on a dedicated thread (Consume blocks, and the rebalance callbacks run inside it), which hands
/// records to a <see cref="PartitionWorker"/> per assigned partition, pauses partitions whose worker
/// lags, and commits what the workers finished. Disposing it cancels the handlers, commits what they
/// finished, and leaves the group so its partitions move at once.
/// </summary>
internal sealed class KafkaSubscription : IAsyncDisposable
{
    /// <summary>The member whose handler runs in this async flow, so it may dispose its own subscription.</summary>
    internal static readonly AsyncLocal<KafkaSubscription?> Handling = new();

    // How long Consume blocks when idle: bounds how late a commit or a leave is noticed.
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(50);

    // A handler that ignores cancellation cannot hold a rebalance or a shutdown forever.
    private static readonly TimeSpan CancelledHandlerWait = TimeSpan.FromSeconds(30);

    // Leaving: how long to wait for the group to take the assignment back, then for the close.
    private static readonly TimeSpan ReleaseWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(30);

    // Besides the count bound (KafkaBusOptions.MaxBufferedPerPartition): a few large records must not
    // fill the memory either.
    private const long MaxBufferedBytesPerPartition = 16 * 1024 * 1024;

    private readonly CancellationTokenSource _leaving;
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _handlersEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<TopicPartition, PartitionWorker> _workers = [];
    // How often the lag is worked out on the poll thread (from cached watermarks: no broker round trip).
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);

    private DateTimeOffset _lastCommit;
    private DateTimeOffset _lastLag;
    private long _lag;
    private int _assignedCount;
    private int _disposed;

    public KafkaSubscription(KafkaEventBus bus, string topic, string group, EnvelopeHandler handler, ConsumerOptions options)
    {
        Bus = bus;
        Topic = topic;
        Group = group;
        Handler = handler;
        Options = options;
        _leaving = CancellationTokenSource.CreateLinkedTokenSource(bus.ShutdownToken);
        LeavingToken = _leaving.Token;
    }

    public KafkaEventBus Bus { get; }

    public string Topic { get; }

    public string Group { get; }

    public EnvelopeHandler Handler { get; }

    /// <summary>Messages of this member's partitions not finished yet (high watermark − next offset to finish), as of the last poll.</summary>
    public long Lag => Interlocked.Read(ref _lag);

    public ConsumerOptions Options { get; }

    /// <summary>Cancelled when the member leaves or the bus shuts down.</summary>
    public CancellationToken LeavingToken { get; }

    /// <summary>Starts the poll thread and returns once the member holds its share of the partitions.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var thread = new Thread(Run) { IsBackground = true, Name = $"kafka-consumer {Group}/{Topic}" };
        thread.Start();
        try
        {
            await _joined.Task.WaitAsync(Bus.Options.JoinTimeout, Bus.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw new BusUnavailableException(
                $"Could not join consumer group {Group} on {Topic} within {Bus.Options.JoinTimeout}: the Kafka brokers or the group's coordinator are unreachable. Try again in a moment.",
                ex);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            if (Handling.Value != this)
            {
                await WaitForLeaveAsync().ConfigureAwait(false);
            }

            return;
        }

        await _leaving.CancelAsync().ConfigureAwait(false);
        Bus.Forget(this);
        if (Handling.Value == this)
        {
            // Called by our own handler: waiting for it to return would wait forever. The poll thread
            // finishes leaving (and commits, if the handler returns normally) once it has returned.
            Bus.Logger.LogInformation("Member of group {Group} on {Topic} leaves from inside its handler", Group, Topic);
            _ = _stopped.Task.ContinueWith(_ => _leaving.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return;
        }

        if (await WaitForLeaveAsync().ConfigureAwait(false))
        {
            _leaving.Dispose();
        }
    }

    // Handlers ended and what they finished is committed: the contract of leaving. The close that
    // follows is librdkafka's business; it is waited for, but a stuck one does not stall shutdown.
    private async Task<bool> WaitForLeaveAsync()
    {
        await _handlersEnded.Task.ConfigureAwait(false);
        try
        {
            await _stopped.Task.WaitAsync(CloseWait, Bus.TimeProvider).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            Bus.Logger.LogError("Consumer of group {Group} on {Topic} did not close within {Wait}; the group moves its partitions after the session timeout", Group, Topic, CloseWait);
            return false;
        }
    }

    private void Run()
    {
        IConsumer<byte[], byte[]>? consumer = null;
        try
        {
            consumer = new ConsumerBuilder<byte[], byte[]>(ClientConfigs.Consumer(Bus.Options, Group))
                .SetPartitionsAssignedHandler(OnAssigned)
                .SetPartitionsRevokedHandler(OnRevoked)
                .SetPartitionsLostHandler(OnLost)
                .SetErrorHandler(OnError)
                .SetLogHandler((_, message) => LibrdkafkaLog.Write(Bus.Logger, message, Bus.Metrics.OffsetReset))
                .Build();
            consumer.Subscribe(Topic);
            _lastCommit = Bus.TimeProvider.GetUtcNow();
            Poll(consumer);
        }
        catch (Exception ex)
        {
            Bus.Logger.LogCritical(ex, "Consumer of group {Group} on {Topic} stopped", Group, Topic);
            _joined.TrySetException(new BusUnavailableException($"The consumer of group {Group} on {Topic} failed: {ex.Message}", ex));
        }
        finally
        {
            if (consumer is not null)
            {
                Leave(consumer);
            }

            _handlersEnded.TrySetResult();
            _stopped.TrySetResult();
        }
    }

    private void Poll(IConsumer<byte[], byte[]> consumer)
    {
        while (!LeavingToken.IsCancellationRequested)
        {
            try
            {
                var record = consumer.Consume(PollTimeout);
                if (record is { Message: not null })
                {
                    Route(record);
                }

                ApplyBackPressure(consumer);
                if (Bus.TimeProvider.GetUtcNow() - _lastLag >= LagInterval)
                {
                    MeasureLag(consumer);
                }
                if (Bus.TimeProvider.GetUtcNow() - _lastCommit >= Bus.Options.CommitInterval)
                {
                    Commit(consumer, _workers.Values);
                }
            }
            catch (KafkaException ex) when (!ex.Error.IsFatal)
            {
                // E.g. a partition gone or a broker away: librdkafka recovers on its own; we keep polling.
                Bus.Logger.LogWarning("Consumer of group {Group} on {Topic}: {Code} {Reason}", Group, Topic, ex.Error.Code, ex.Error.Reason);
            }
        }
    }

    private void Route(ConsumeResult<byte[], byte[]> record)
    {
        if (_workers.TryGetValue(record.TopicPartition, out var worker))
        {
            worker.Enqueue(record);
            return;
        }

        // Not ours any more (revoked meanwhile): not committed, so its next owner reads it.
        Bus.Logger.LogDebug("Skipped record {Partition}@{Offset} fetched for a partition no longer assigned", record.TopicPartition, record.Offset);
    }

    private void Leave(IConsumer<byte[], byte[]> consumer)
    {
        List<PartitionWorker> workers = [.. _workers.Values];
        _workers.Clear();
        try
        {
            StopAndCommit(consumer, workers, TimeSpan.Zero);
        }
        catch (Exception ex)
        {
            Bus.Logger.LogWarning(ex, "Consumer of group {Group} on {Topic} could not commit on leaving", Group, Topic);
            Stop(workers, TimeSpan.Zero);
        }
        finally
        {
            _handlersEnded.TrySetResult();
        }

        try
        {
            // Close() alone can hang for good when it has to revoke an assignment through the rebalance
            // callback (librdkafka issues 4527 and 4884): give the assignment back first, then close.
            consumer.Unsubscribe();
            var deadline = Bus.TimeProvider.GetUtcNow() + ReleaseWait;
            while (Volatile.Read(ref _assignedCount) > 0 && Bus.TimeProvider.GetUtcNow() < deadline)
            {
                // Records still arriving are not handed to anyone: uncommitted, the next owner reads them.
                consumer.Consume(PollTimeout);
            }

            consumer.Close();
            Bus.Logger.LogInformation("Member left group {Group} on {Topic}", Group, Topic);
        }
        catch (Exception ex)
        {
            // Without a clean leave the group moves the partitions after the session timeout instead.
            Bus.Logger.LogWarning(ex, "Consumer of group {Group} on {Topic} did not leave cleanly", Group, Topic);
        }
        finally
        {
            consumer.Dispose();
        }
    }

    private void OnAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
    {
        Volatile.Write(ref _assignedCount, partitions.Count);
        if (LeavingToken.IsCancellationRequested)
        {
            // A rebalance that completed while we leave: the revocation that follows gives it back.
            return;
        }

        foreach (var partition in partitions)
        {
            _workers[partition] = new PartitionWorker(this, partition);
        }

        Bus.Logger.LogInformation("Member of group {Group} on {Topic} was assigned partitions [{Partitions}]", Group, Topic, string.Join(",", partitions.Select(p => p.Partition.Value)));
        _joined.TrySetResult();
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        Volatile.Write(ref _assignedCount, 0);
        var grace = LeavingToken.IsCancellationRequested ? TimeSpan.Zero : Bus.Options.RebalanceGrace;
        var workers = Take(partitions);
        if (workers.Count > 0)
        {
            Bus.Logger.LogInformation(
                "Group {Group} on {Topic} is rebalancing: partitions [{Partitions}] revoked from this member; messages in hand get {Grace} to finish",
                Group,
                Topic,
                string.Join(",", partitions.Select(p => p.Partition.Value)),
                grace);
        }

        StopAndCommit(consumer, workers, grace);
    }

    private void OnLost(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        Volatile.Write(ref _assignedCount, 0);
        // The group has already given them to others: stop at once, and commit nothing (it would fail).
        Bus.Logger.LogWarning("Member of group {Group} on {Topic} lost partitions [{Partitions}] (session timed out); their messages in hand will be redelivered", Group, Topic, string.Join(",", partitions.Select(p => p.Partition.Value)));
        Stop(Take(partitions), TimeSpan.Zero);
    }

    private void OnError(IConsumer<byte[], byte[]> consumer, Error error)
    {
        if (error.IsFatal)
        {
            Bus.Logger.LogCritical("Consumer of group {Group} on {Topic} failed fatally: {Code} {Reason}", Group, Topic, error.Code, error.Reason);
            _leaving.Cancel();
            return;
        }

        Bus.Logger.LogWarning("Consumer of group {Group} on {Topic}: {Code} {Reason}", Group, Topic, error.Code, error.Reason);
    }

    private List<PartitionWorker> Take(List<TopicPartitionOffset> partitions)
    {
        var taken = new List<PartitionWorker>();
        foreach (var partition in partitions)
        {
            if (_workers.Remove(partition.TopicPartition, out var worker))
            {
                taken.Add(worker);
            }
        }

        return taken;
    }

    /// <summary>
    /// Stops the workers, letting messages in hand run for <paramref name="grace"/> before cancelling them,
    /// then commits what they finished. Blocks the poll thread on purpose: returning to Kafka lets another
    /// member take the partitions, which must not happen while a handler of ours may still run them.
    /// </summary>
    private void StopAndCommit(IConsumer<byte[], byte[]> consumer, List<PartitionWorker> workers, TimeSpan grace)
    {
        if (workers.Count == 0)
        {
            return;
        }

        Stop(workers, grace);
        Commit(consumer, workers);
    }

    private void Stop(List<PartitionWorker> workers, TimeSpan grace)
    {
        var ended = workers.Select(w => w.Completion).ToArray();
        workers.ForEach(w => w.BeginStop());
        if (grace > TimeSpan.Zero && Task.WaitAll(ended, grace))
        {
            workers.ForEach(w => w.ReleaseIfEnded());
            return;
        }

        workers.ForEach(w => w.Cancel());
        if (!Task.WaitAll(ended, CancelledHandlerWait))
        {
            Bus.Logger.LogError(
                "A handler of group {Group} on {Topic} ignored cancellation for {Wait}; its partition moves on without it and may be handled twice",
                Group,
                Topic,
                CancelledHandlerWait);
        }

        workers.ForEach(w => w.ReleaseIfEnded());
    }

    private void Commit(IConsumer<byte[], byte[]> consumer, IEnumerable<PartitionWorker> workers)
    {
        _lastCommit = Bus.TimeProvider.GetUtcNow();
        var due = workers.Select(w => (Worker: w, Offset: w.Committable())).Where(x => x.Offset is not null).ToList();
        if (due.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(due.Select(x => x.Offset!));
            foreach (var (worker, offset) in due)
            {
                worker.MarkCommitted(offset!.Offset.Value);
            }
        }
        catch (KafkaException ex)
        {
            // Kept for the next commit; if the partition moves first, its next owner handles those messages
            // again (handlers are idempotent). Kafka accepts commits while a group prepares a rebalance; the
            // librdkafka mock refuses them (RebalanceInProgress), so there every rebalance redelivers a little.
            Bus.Logger.LogWarning(
                "Commit of group {Group} on {Topic} failed ({Code}: {Reason}); partitions [{Partitions}] keep their previous offsets for now",
                Group,
                Topic,
                ex.Error.Code,
                ex.Error.Reason,
                string.Join(",", due.Select(x => x.Worker.Partition.Partition.Value)));
        }
    }

    private void MeasureLag(IConsumer<byte[], byte[]> consumer)
    {
        _lastLag = Bus.TimeProvider.GetUtcNow();
        long lag = 0;
        foreach (var (partition, worker) in _workers)
        {
            // Cached by librdkafka from fetch responses: reading it never waits on a broker.
            var high = consumer.GetWatermarkOffsets(partition).High;
            if (high.Value < 0)
            {
                continue;
            }

            var next = worker.NextToFinish;
            if (next < 0)
            {
                next = consumer.Position(partition).Value;
            }

            if (next >= 0)
            {
                lag += Math.Max(0, high.Value - next);
            }
        }

        Interlocked.Exchange(ref _lag, lag);
    }

    private void ApplyBackPressure(IConsumer<byte[], byte[]> consumer)
    {
        var limit = Bus.Options.MaxBufferedPerPartition;
        foreach (var worker in _workers.Values)
        {
            var full = worker.Buffered >= limit || worker.BufferedBytes >= MaxBufferedBytesPerPartition;
            if (!worker.Paused && full)
            {
                consumer.Pause([worker.Partition]);
                worker.Paused = true;
                Bus.Logger.LogDebug("Paused fetching {Partition} for group {Group}: {Buffered} records wait for the handler", worker.Partition, Group, worker.Buffered);
            }
            else if (worker.Paused && worker.Buffered <= limit / 2 && worker.BufferedBytes <= MaxBufferedBytesPerPartition / 2)
            {
                consumer.Resume([worker.Partition]);
                worker.Paused = false;
                Bus.Logger.LogDebug("Resumed fetching {Partition} for group {Group}", worker.Partition, Group);
            }
        }
    }
}
