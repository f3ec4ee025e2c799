using System.Threading.Channels;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// Handles one assigned partition for one member: takes the records the poll thread hands it, one at a
/// time in offset order, runs the handler with retries, parks what keeps failing (or is not an envelope)
/// on <c>{topic}.dlq</c>, and records how far it got for the poll thread to commit. Lives from the
/// partition's assignment to its revocation.
/// </summary>
internal sealed class PartitionWorker
{
    private readonly KafkaSubscription _member;
    private readonly Channel<ConsumeResult<byte[], byte[]>> _queue =
        Channel.CreateUnbounded<ConsumeResult<byte[], byte[]>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly CancellationTokenSource _cancel;
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
        Completion = Task.Run(RunAsync, CancellationToken.None);
    }

    private enum Outcome
    {
        Handled,
        DeadLettered,
        Abandoned,
    }

    public TopicPartition Partition { get; }

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

    /// <summary>The offset to commit (the next one to handle) when it moved since the last commit.</summary>
    public TopicPartitionOffset? Committable()
    {
        var finished = Volatile.Read(ref _finished);
        return finished > _committed ? new TopicPartitionOffset(Partition, new Offset(finished)) : null;
    }

    public void MarkCommitted(long offset) => _committed = Math.Max(_committed, offset);

    /// <summary>Stops taking records; the one in hand runs on.</summary>
    public void BeginStop()
    {
        _stopping = true;
        _queue.Writer.TryComplete();
    }

    /// <summary>Stops taking records and cancels the one in hand (it then stays uncommitted).</summary>
    public void Cancel()
    {
        BeginStop();
        if (!Completion.IsCompleted)
        {
            _cancel.Cancel();
        }
    }

    /// <summary>Releases the cancellation source once the worker has ended.</summary>
    public void ReleaseIfEnded()
    {
        if (Completion.IsCompleted)
        {
            _cancel.Dispose();
        }
    }

    private async Task RunAsync()
    {
        var token = _cancel.Token;
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (!_stopping && reader.TryRead(out var record))
                {
                    Interlocked.Decrement(ref _buffered);
                    Interlocked.Add(ref _bufferedBytes, -Size(record));
                    if (await ProcessAsync(record, token).ConfigureAwait(false) == Outcome.Abandoned)
                    {
                        return;
                    }

                    Volatile.Write(ref _finished, record.Offset.Value + 1);
                }

                if (_stopping)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Revoked or leaving: what was not finished stays uncommitted for the next owner.
        }
        catch (Exception ex)
        {
            // A bug here would stall the partition; say so loudly rather than stop in silence.
            _member.Bus.Logger.LogCritical(ex, "Consumer of group {Group} on {Partition} stopped", _member.Group, Partition);
        }
    }

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
