using System.Threading.Channels;
using ChatOps.Core.Events;
using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.Bus.Internal;

/// <summary>
/// Handles one partition for one group: the single place where that partition's messages are taken,
/// handled (by whichever member owns the partition now), retried, parked and committed, one at a time
/// and in offset order. Sleeps on a wake-up signal between messages; publish and rebalance wake it.
/// </summary>
internal sealed class PartitionWorker
{
    private readonly InMemoryEventBus _bus;
    private readonly TopicState _topic;
    private readonly ConsumerGroup _group;
    private readonly int _partition;

    // Capacity 1 with DropWrite: a pending wake-up is never lost and repeated wake-ups coalesce.
    private readonly Channel<bool> _wakeups = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private long _droppedHere;

    public PartitionWorker(InMemoryEventBus bus, TopicState topic, ConsumerGroup group, int partition, long startOffset)
    {
        _bus = bus;
        _topic = topic;
        _group = group;
        _partition = partition;
        NextOffset = startOffset;
    }

    private enum Outcome
    {
        Handled,
        DeadLettered,
        Abandoned,
    }

    /// <summary>The committed offset: the next message this group handles here. Guarded by the topic's lock.</summary>
    public long NextOffset { get; private set; }

    /// <summary>The member handling this partition now, if any. Guarded by the topic's lock.</summary>
    public Subscription? Owner { get; set; }

    public void Wake() => _wakeups.Writer.TryWrite(true);

    // Task.Run: the loop must never start inline on a thread that holds the topic's lock.
    public Task Start() => Task.Run(RunAsync);

    /// <summary>
    /// Retention dropped <paramref name="offset"/>; true when this group had not committed it yet.
    /// Must hold the topic's lock.
    /// </summary>
    public bool SkipDropped(long offset)
    {
        if (NextOffset > offset)
        {
            return false;
        }

        NextOffset = offset + 1;
        _droppedHere++;
        if (_droppedHere == 1 || _droppedHere % 1000 == 0)
        {
            _bus.Logger.LogWarning(
                "Retention bound reached on {Topic} partition {Partition}: group {Group} lags and lost {Dropped} uncommitted message(s) so far",
                _topic.Name,
                _partition,
                _group.Name,
                _droppedHere);
        }

        return true;
    }

    private async Task RunAsync()
    {
        var shutdown = _bus.ShutdownToken;
        try
        {
            while (true)
            {
                while (!shutdown.IsCancellationRequested && TryTake(out var member, out var envelope, out var offset))
                {
                    var outcome = await DeliverAsync(member, envelope, offset);
                    Finish(member, envelope, offset, outcome);
                }

                await _wakeups.Reader.ReadAsync(shutdown);
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // The bus is shutting down.
        }
        catch (Exception ex)
        {
            // A bug here would stall the partition; say so loudly rather than stop in silence.
            _bus.Logger.LogCritical(ex, "Consumer of {Topic} partition {Partition} for group {Group} stopped", _topic.Name, _partition, _group.Name);
            throw;
        }
    }

    private bool TryTake(out Subscription member, out Envelope envelope, out long offset)
    {
        lock (_topic.Sync)
        {
            offset = NextOffset;
            member = Owner!;
            if (member is null)
            {
                envelope = null!;
                return false;
            }

            if (!_topic.Logs[_partition].TryRead(offset, out envelope))
            {
                return false;
            }

            // The owner is never a leaving member: leaving removes it from ownership under this same lock.
            member.EnterHandler();
            return true;
        }
    }

    private async Task<Outcome> DeliverAsync(Subscription member, Envelope envelope, long offset)
    {
        var token = member.Token;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Subscription.Handling.Value = member;
                await member.Handler(envelope, token);
                return Outcome.Handled;
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return Outcome.Abandoned;
            }
            catch (Exception ex) when (attempt < member.Options.MaxAttempts)
            {
                var pause = ConsumerOptionsCheck.BackoffAfter(member.Options, attempt);
                _bus.Logger.LogWarning(
                    ex,
                    "Handler of {Member} failed on message {MessageId} ({Type}) at {Topic}/{Partition}@{Offset}, attempt {Attempt} of {MaxAttempts}; retrying in {Backoff}",
                    member.Id,
                    envelope.Id,
                    envelope.Type,
                    _topic.Name,
                    _partition,
                    offset,
                    attempt,
                    member.Options.MaxAttempts,
                    pause);
                try
                {
                    await Task.Delay(pause, _bus.TimeProvider, token);
                }
                catch (OperationCanceledException)
                {
                    return Outcome.Abandoned;
                }
            }
            catch (Exception ex)
            {
                return await ParkAsync(member, envelope, offset, attempt, ex);
            }
            finally
            {
                Subscription.Handling.Value = null;
            }
        }
    }

    private async Task<Outcome> ParkAsync(Subscription member, Envelope envelope, long offset, int attempts, Exception error)
    {
        var deadLetterTopic = Topics.DeadLetter(_topic.Name);
        _bus.Logger.LogError(
            error,
            "Handler of {Member} failed on message {MessageId} ({Type}) at {Topic}/{Partition}@{Offset} {Attempts} time(s); parking it on {DeadLetterTopic}",
            member.Id,
            envelope.Id,
            envelope.Type,
            _topic.Name,
            _partition,
            offset,
            attempts,
            deadLetterTopic);
        try
        {
            var deadLetter = DeadLetterEnvelopes.Create(_topic.Name, _group.Name, attempts, error, envelope, _bus.TimeProvider.GetUtcNow());
            await _bus.PublishAsync(deadLetterTopic, deadLetter, CancellationToken.None);
            return Outcome.DeadLettered;
        }
        catch (Exception parkError)
        {
            // Not parked means not committed: the message stays for the next member.
            _bus.Logger.LogError(parkError, "Could not park message {MessageId} on {DeadLetterTopic}; it stays uncommitted", envelope.Id, deadLetterTopic);
            return Outcome.Abandoned;
        }
    }

    private void Finish(Subscription member, Envelope envelope, long offset, Outcome outcome)
    {
        // Read before ExitHandler: once drained, the leaving member disposes its token source.
        var memberLeft = member.Token.IsCancellationRequested;
        lock (_topic.Sync)
        {
            if (outcome != Outcome.Abandoned)
            {
                // Max: retention may already have moved past a message that was in hand.
                NextOffset = Math.Max(NextOffset, offset + 1);
                _topic.TrimCommitted(_partition);
            }

            member.ExitHandler();
        }

        if (outcome == Outcome.Abandoned && memberLeft)
        {
            _bus.Logger.LogInformation(
                "{Member} left while handling message {MessageId} at {Topic}/{Partition}@{Offset}; it will be redelivered",
                member.Id,
                envelope.Id,
                _topic.Name,
                _partition,
                offset);
        }
    }
}
