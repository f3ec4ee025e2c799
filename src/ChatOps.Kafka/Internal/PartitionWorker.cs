using System.Text;
using System.Threading.Channels;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// Handles one assigned partition for one member: takes the records the poll thread hands it in offset
/// order, runs records of different keys concurrently (up to <see cref="ConsumerOptions.MaxInFlightPerPartition"/>
/// held at once) and those of one key one after another, retries the handler, parks what keeps failing
/// (or is not an envelope) on <c>{topic}.dlq</c>, and records how far everything is finished for the
/// poll thread to commit. Lives from the partition's assignment to its revocation.
/// </summary>
internal sealed class PartitionWorker
{
    private readonly KafkaSubscription _member;
    private readonly Channel<ConsumeResult<byte[], byte[]>> _queue =
        Channel.CreateUnbounded<ConsumeResult<byte[], byte[]>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly CancellationTokenSource _cancel;

    // Cancelled when the worker stops taking records (and when it is cancelled): ends the waits for records and room.
    private readonly CancellationTokenSource _stopTaking;

    private readonly Lock _sync = new();

    // Guarded by _sync: what is held, the last offset taken, and the wait of the taking loop for room.
    private readonly InFlightWindow<ConsumeResult<byte[], byte[]>> _window = new();
    private long _lastTaken = -1;
    private TaskCompletionSource? _roomWaiter;

    // Only the taking loop touches it.
    private readonly List<Task> _runs = [];

    private int _buffered;
    private long _bufferedBytes;
    private long _finished = -1;
    private long _firstSeen = -1;
    private long _committed = -1;
    private volatile bool _stopping;

    public PartitionWorker(KafkaSubscription member, TopicPartition partition)
    {
        _member = member;
        Partition = partition;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(member.LeavingToken);
        _stopTaking = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token);
        Completion = Task.Run(RunAsync, CancellationToken.None);
    }

    private enum Outcome
    {
        Handled,
        DeadLettered,
        Abandoned,
    }

    public TopicPartition Partition { get; }

    /// <summary>Completes once the worker took its last record and every handler call it started has returned.</summary>
    public Task Completion { get; }

    /// <summary>Fetching of this partition is paused because too much is buffered. Poll thread only.</summary>
    public bool Paused { get; set; }

    public int Buffered => Volatile.Read(ref _buffered);

    public long BufferedBytes => Interlocked.Read(ref _bufferedBytes);

    /// <summary>Poll thread only.</summary>
    public void Enqueue(ConsumeResult<byte[], byte[]> record)
    {
        if (_firstSeen < 0)
        {
            Volatile.Write(ref _firstSeen, record.Offset.Value);
        }

        Interlocked.Increment(ref _buffered);
        Interlocked.Add(ref _bufferedBytes, Size(record));
        _queue.Writer.TryWrite(record);
    }

    /// <summary>
    /// The next offset this member still has to finish (the first record handed to it, until one is done);
    /// -1 when it has seen nothing of this partition yet.
    /// </summary>
    public long NextToFinish
    {
        get
        {
            var finished = Volatile.Read(ref _finished);
            return finished >= 0 ? finished : Volatile.Read(ref _firstSeen);
        }
    }

    /// <summary>
    /// The offset to commit (the first record not finished, or the one after the last taken when all are)
    /// when it moved since the last commit.
    /// </summary>
    public TopicPartitionOffset? Committable()
    {
        var finished = Volatile.Read(ref _finished);
        return finished > _committed ? new TopicPartitionOffset(Partition, new Offset(finished)) : null;
    }

    public void MarkCommitted(long offset) => _committed = Math.Max(_committed, offset);

    /// <summary>Stops taking records; the ones running run on (but the records waiting behind them do not start).</summary>
    public void BeginStop()
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        if (!_stopTaking.IsCancellationRequested)
        {
            _stopTaking.Cancel();
        }
    }

    /// <summary>Stops taking records and cancels the ones running (they then stay uncommitted).</summary>
    public void Cancel()
    {
        BeginStop();
        if (!Completion.IsCompleted)
        {
            _cancel.Cancel();
        }
    }

    /// <summary>Releases the cancellation sources once the worker has ended.</summary>
    public void ReleaseIfEnded()
    {
        if (Completion.IsCompleted)
        {
            _stopTaking.Dispose();
            _cancel.Dispose();
        }
    }

    private async Task RunAsync()
    {
        var token = _cancel.Token;
        var taking = _stopTaking.Token;
        var limit = _member.Options.MaxInFlightPerPartition;
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync(taking).ConfigureAwait(false))
            {
                while (!_stopping && reader.TryRead(out var record))
                {
                    Interlocked.Decrement(ref _buffered);
                    Interlocked.Add(ref _bufferedBytes, -Size(record));

                    // A record not taken is not finished either: the commit stays below it.
                    await WaitForRoomAsync(limit, taking).ConfigureAwait(false);
                    InFlightWindow<ConsumeResult<byte[], byte[]>>.Slot? start;
                    lock (_sync)
                    {
                        _lastTaken = record.Offset.Value;
                        start = _window.Admit(record.Offset.Value, KeyOf(record), record);
                    }

                    if (start is not null)
                    {
                        _runs.RemoveAll(run => run.IsCompleted);
                        _runs.Add(Task.Run(() => RunKeyAsync(start, token), CancellationToken.None));
                    }
                }

                if (_stopping)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (taking.IsCancellationRequested)
        {
            // Stopping, revoked or leaving: what was not finished stays uncommitted for the next owner.
        }
        catch (Exception ex)
        {
            // A bug here would stall the partition; say so loudly rather than stop in silence.
            _member.Bus.Logger.LogCritical(ex, "Consumer of group {Group} on {Partition} stopped", _member.Group, Partition);
        }

        // Completion means no handler of this partition runs any more: the poll thread relies on it
        // before it commits and lets another member take the partition.
        await Task.WhenAll(_runs).ConfigureAwait(false);
    }

    private async Task WaitForRoomAsync(int limit, CancellationToken taking)
    {
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_sync)
            {
                if (_window.Count < limit)
                {
                    return;
                }

                waiter = _roomWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            await waiter.Task.WaitAsync(taking).ConfigureAwait(false);
        }
    }

    // Runs a key's records one after another while they are held, then returns.
    private async Task RunKeyAsync(InFlightWindow<ConsumeResult<byte[], byte[]>>.Slot first, CancellationToken token)
    {
        try
        {
            for (var slot = first; slot is not null;)
            {
                var outcome = await ProcessAsync(slot.Item, token).ConfigureAwait(false);
                slot = Finish(slot, outcome);
            }
        }
        catch (Exception ex)
        {
            _member.Bus.Logger.LogCritical(ex, "Consumer of group {Group} on {Partition} failed handling a record", _member.Group, Partition);
        }
    }

    // Records the outcome; returns the next record of the same key when it may run now.
    private InFlightWindow<ConsumeResult<byte[], byte[]>>.Slot? Finish(InFlightWindow<ConsumeResult<byte[], byte[]>>.Slot slot, Outcome outcome)
    {
        lock (_sync)
        {
            if (outcome == Outcome.Abandoned)
            {
                // Only a cancelled worker abandons: nothing more is taken, and nothing past this is committed.
                _window.Abandon(slot);
                return null;
            }

            var next = _window.Complete(slot);
            Volatile.Write(ref _finished, _window.FirstUnfinished ?? _lastTaken + 1);
            _roomWaiter?.TrySetResult();
            _roomWaiter = null;
            if (next is not null && _stopping)
            {
                // Stopping lets what runs finish, but starts nothing: the rest stays for the next owner.
                _window.Abandon(next);
                return null;
            }

            return next;
        }
    }

    // The producer writes the envelope's key as UTF-8; a record without one is ordered with the other keyless ones.
    private static string KeyOf(ConsumeResult<byte[], byte[]> record) =>
        record.Message.Key is { Length: > 0 } key ? Encoding.UTF8.GetString(key) : "";

    private async Task<Outcome> ProcessAsync(ConsumeResult<byte[], byte[]> record, CancellationToken token)
    {
        if (!RecordCodec.TryRead(record, out var envelope, out var unreadable))
        {
            _member.Bus.Logger.LogError(
                "Record {Partition}@{Offset} of group {Group} is not an envelope ({Error}); parking it",
                Partition,
                record.Offset.Value,
                _member.Group,
                unreadable.Message);
            var standIn = RecordCodec.Undecodable(record, _member.Bus.TimeProvider.GetUtcNow());
            return await ParkAsync(standIn, record.Offset.Value, attempts: 0, unreadable, token).ConfigureAwait(false);
        }

        var options = _member.Options;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                KafkaSubscription.Handling.Value = _member;
                await _member.Handler(envelope, token).ConfigureAwait(false);
                return Outcome.Handled;
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return Outcome.Abandoned;
            }
            catch (Exception ex) when (attempt < options.MaxAttempts)
            {
                _member.Bus.Metrics.HandlerFailed(Partition.Topic);
                var pause = ConsumerOptionsCheck.BackoffAfter(options, attempt);
                _member.Bus.Logger.LogWarning(
                    ex,
                    "Handler of group {Group} failed on message {MessageId} ({Type}) at {Partition}@{Offset}, attempt {Attempt} of {MaxAttempts}; retrying in {Backoff}",
                    _member.Group,
                    envelope.Id,
                    envelope.Type,
                    Partition,
                    record.Offset.Value,
                    attempt,
                    options.MaxAttempts,
                    pause);
                if (!await PauseAsync(pause, token).ConfigureAwait(false))
                {
                    return Outcome.Abandoned;
                }
            }
            catch (Exception ex)
            {
                _member.Bus.Metrics.HandlerFailed(Partition.Topic);
                _member.Bus.Logger.LogError(
                    ex,
                    "Handler of group {Group} failed on message {MessageId} ({Type}) at {Partition}@{Offset} {Attempts} time(s); parking it",
                    _member.Group,
                    envelope.Id,
                    envelope.Type,
                    Partition,
                    record.Offset.Value,
                    attempt);
                return await ParkAsync(envelope, record.Offset.Value, attempt, ex, token).ConfigureAwait(false);
            }
            finally
            {
                KafkaSubscription.Handling.Value = null;
            }
        }
    }

    // Parking must succeed before the consumer moves on (moving on commits past the message), so a
    // parking failure (bus unavailable) is retried until it works or the partition is taken away.
    private async Task<Outcome> ParkAsync(Envelope original, long offset, int attempts, Exception error, CancellationToken token)
    {
        var topic = Partition.Topic;
        var deadLetterTopic = Topics.DeadLetter(topic);
        var deadLetter = DeadLetterEnvelopes.Create(topic, _member.Group, attempts, error, original, _member.Bus.TimeProvider.GetUtcNow());
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _member.Bus.PublishDeadLetterAsync(deadLetterTopic, deadLetter, token).ConfigureAwait(false);
                _member.Bus.Metrics.DeadLettered(topic);
                return Outcome.DeadLettered;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return Outcome.Abandoned;
            }
            catch (Exception parkError)
            {
                var pause = ConsumerOptionsCheck.BackoffAfter(_member.Options, attempt);
                _member.Bus.Logger.LogError(
                    parkError,
                    "Could not park message {MessageId} from {Partition}@{Offset} on {DeadLetterTopic}; the partition waits and retries in {Backoff}",
                    original.Id,
                    Partition,
                    offset,
                    deadLetterTopic,
                    pause);
                if (!await PauseAsync(pause, token).ConfigureAwait(false))
                {
                    return Outcome.Abandoned;
                }
            }
        }
    }

    private static long Size(ConsumeResult<byte[], byte[]> record) => (record.Message.Value?.Length ?? 0) + (record.Message.Key?.Length ?? 0);

    private async Task<bool> PauseAsync(TimeSpan pause, CancellationToken token)
    {
        try
        {
            await Task.Delay(pause, _member.Bus.TimeProvider, token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
