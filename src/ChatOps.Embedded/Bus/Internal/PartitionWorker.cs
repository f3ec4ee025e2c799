using System.Threading.Channels;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.Bus.Internal;

/// <summary>
/// Handles one partition for one group: the single place where that partition's messages are taken,
/// handled (by whichever member owns the partition now), retried, parked and committed. Messages of
/// different keys run concurrently, up to the owner's <see cref="Core.Ports.ConsumerOptions.MaxInFlightPerPartition"/>;
/// a message waits for the earlier one of its key. The committed offset is the first message not
/// finished. Sleeps on a wake-up signal; publish, rebalance and finished messages wake it.
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

    // Guarded by the topic's lock, like the offsets.
    private readonly InFlightWindow<Envelope> _window = new();

    // Only the worker loop touches it.
    private readonly List<Task> _runs = [];

    private long _droppedHere;

    // Guarded by the topic's lock: the next offset to take, the member the messages in hand belong to,
    // how many of them run now, and whether the unfinished ones must start again (for a new owner).
    private long _nextToTake;
    private Subscription? _handlingFor;
    private int _running;
    private bool _restart;

    public PartitionWorker(InMemoryEventBus bus, TopicState topic, ConsumerGroup group, int partition, long startOffset)
    {
        _bus = bus;
        _topic = topic;
        _group = group;
        _partition = partition;
        NextOffset = startOffset;
        _nextToTake = startOffset;
    }

    private enum Outcome
    {
        Handled,
        DeadLettered,
        Abandoned,
    }

    /// <summary>
    /// The committed offset: every message below it is finished (handled or parked); it is the first the
    /// group handles again after a rebalance. Guarded by the topic's lock.
    /// </summary>
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
        _nextToTake = Math.Max(_nextToTake, NextOffset);
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
            try
            {
                while (true)
                {
                    _runs.RemoveAll(run => run.IsCompleted);
                    foreach (var (member, first) in TakeAvailable(shutdown))
                    {
                        _runs.Add(Task.Run(() => RunKeyAsync(member, first), CancellationToken.None));
                    }

                    await _wakeups.Reader.ReadAsync(shutdown);
                }
            }
            finally
            {
                // Handlers see the shutdown through their token; the bus waits for them through this task.
                await Task.WhenAll(_runs);
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

    // Fills the window from the log up to the owner's bound; returns the messages that may start now.
    private List<(Subscription Member, InFlightWindow<Envelope>.Slot First)> TakeAvailable(CancellationToken shutdown)
    {
        var starts = new List<(Subscription, InFlightWindow<Envelope>.Slot)>();
        lock (_topic.Sync)
        {
            var owner = Owner;
            if (_handlingFor is not null && (_handlingFor != owner || _restart))
            {
                // The partition moved, or a message was given up: what runs finishes first (a partition is
                // never handled by two members at once), then the owner gets every unfinished message again.
                _restart = true;
                if (_running > 0 || owner is null || shutdown.IsCancellationRequested)
                {
                    return starts;
                }

                _restart = false;
                _handlingFor = owner;
                foreach (var slot in _window.Restart())
                {
                    Start(owner, slot);
                }
            }

            if (owner is null || shutdown.IsCancellationRequested)
            {
                return starts;
            }

            var log = _topic.Logs[_partition];
            while (_window.Count < owner.Options.MaxInFlightPerPartition && log.TryRead(_nextToTake, out var envelope))
            {
                _handlingFor = owner;
                if (_window.Admit(_nextToTake++, envelope.Key, envelope) is { } slot)
                {
                    Start(owner, slot);
                }
            }
        }

        return starts;

        void Start(Subscription owner, InFlightWindow<Envelope>.Slot slot)
        {
            // The owner is never a leaving member: leaving removes it from ownership under this same lock.
            owner.EnterHandler();
            _running++;
            starts.Add((owner, slot));
        }
    }

    // Runs a key's messages one after another while they are in the window, then returns.
    private async Task RunKeyAsync(Subscription member, InFlightWindow<Envelope>.Slot first)
    {
        try
        {
            for (var slot = first; slot is not null;)
            {
                var outcome = await DeliverAsync(member, slot.Item, slot.Offset);
                slot = Finish(member, slot, outcome);
                Wake();
            }
        }
        catch (Exception ex)
        {
            _bus.Logger.LogCritical(ex, "Consumer of {Topic} partition {Partition} for group {Group} failed handling a message", _topic.Name, _partition, _group.Name);
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
            _bus.Meter?.DeadLetters.Add(1, new KeyValuePair<string, object?>("topic", _topic.Name));
            return Outcome.DeadLettered;
        }
        catch (Exception parkError)
        {
            // Not parked means not committed: the message stays for the next member.
            _bus.Logger.LogError(parkError, "Could not park message {MessageId} on {DeadLetterTopic}; it stays uncommitted", envelope.Id, deadLetterTopic);
            return Outcome.Abandoned;
        }
    }

    // Records the outcome; returns the next message of the same key when it may run now (for the same member).
    private InFlightWindow<Envelope>.Slot? Finish(Subscription member, InFlightWindow<Envelope>.Slot slot, Outcome outcome)
    {
        // Read before ExitHandler: once drained, the leaving member disposes its token source.
        var memberLeft = member.Token.IsCancellationRequested;
        InFlightWindow<Envelope>.Slot? next = null;
        lock (_topic.Sync)
        {
            if (outcome == Outcome.Abandoned)
            {
                _window.Abandon(slot);
                _restart = true;
            }
            else
            {
                next = _window.Complete(slot);

                // Max: retention may already have moved past a message that was in hand.
                NextOffset = Math.Max(NextOffset, _window.FirstUnfinished ?? _nextToTake);
                _topic.TrimCommitted(_partition);
            }

            if (next is not null && (Owner != member || _restart || member.Token.IsCancellationRequested))
            {
                // The partition is moving: the rest of this key waits for the next owner.
                _window.Abandon(next);
                _restart = true;
                next = null;
            }

            // Enter before exit: a leaving member must not look drained between two messages of a key.
            if (next is null)
            {
                _running--;
            }
            else
            {
                member.EnterHandler();
            }

            member.ExitHandler();
        }

        if (outcome == Outcome.Abandoned && memberLeft)
        {
            _bus.Logger.LogInformation(
                "{Member} left while handling message {MessageId} at {Topic}/{Partition}@{Offset}; it will be redelivered",
                member.Id,
                slot.Item.Id,
                _topic.Name,
                _partition,
                slot.Offset);
        }

        return next;
    }
}
