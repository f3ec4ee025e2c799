using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Teams.Internal;

/// <summary>
/// One queue and one sender per conversation: messages go out in order, paced under Teams' limits
/// (each conversation's, and the app's across all of them, see <see cref="AppSendPacer"/>),
/// each retried by the connector client until delivered (a burst or a run of 429s loses nothing).
/// Output waiting in a queue is merged into one message per command, and queued card updates
/// collapse into one PUT of the latest state. A conversation's sender retires after a quiet while.
/// </summary>
internal sealed partial class ConversationOutbox(
    TeamsConnectorClient connector,
    TeamsOptions options,
    Pause pause,
    TimeProvider time,
    ILogger<ConversationOutbox> logger) : IAsyncDisposable
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(5);

    private readonly AppSendPacer _appPacer = new(time);
    private readonly Lock _sync = new();
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private bool _stopped;

    /// <summary>Queues <paramref name="item"/>; the task completes with the new activity id once it was sent.</summary>
    public Task<string?> Enqueue(Outbound item)
    {
        lock (_sync)
        {
            if (_stopped) throw new ChatDeliveryException(ResilientHttp.Platform, "stopping", "the Teams adapter is shutting down");
            var lane = _lanes.GetOrAdd(item.LaneKey, key => Lane.Start(key, this, time));
            lane.Queue.Writer.TryWrite(item);
        }

        return item.Done.Task;
    }

    /// <summary>
    /// Queues the card's current state (call after changing it, under no lock). What is queued is a
    /// snapshot, so each update shows the state of its moment, in order with the replies around it.
    /// </summary>
    public Task<string?> EnqueueCardUpdate(RootCardState card, string serviceUrl, string conversationId, string? replyToId, string? knownActivityId)
    {
        JsonObject snapshot;
        int version;
        bool finished;
        lock (card)
        {
            snapshot = AdaptiveCards.Attachment(AdaptiveCards.Command(card));
            version = card.Version;
            finished = card.IsFinished;
        }

        return Enqueue(new Outbound
        {
            Kind = OutboundKind.CardUpdate,
            ServiceUrl = serviceUrl,
            ConversationId = conversationId,
            ReplyToId = replyToId,
            Card = card,
            CardActivityId = knownActivityId,
            CardVersion = version,
            CardFinished = finished,
            Activity = snapshot,
        });
    }

    public async ValueTask DisposeAsync()
    {
        List<Task> workers;
        lock (_sync)
        {
            _stopped = true;
            foreach (var lane in _lanes.Values) lane.Queue.Writer.TryComplete();
            workers = _lanes.Values.Select(l => l.Worker).ToList();
        }

        // Give queued messages a moment to go out, then stop whatever is still waiting on Teams.
        await Task.WhenAny(Task.WhenAll(workers), Task.Delay(DrainOnStop, CancellationToken.None));
        await _stopping.CancelAsync();
        await Task.WhenAll(workers);
        _stopping.Dispose();
    }

    private async Task RunAsync(Lane lane)
    {
        var reader = lane.Queue.Reader;
        while (true)
        {
            if (!reader.TryRead(out var item))
            {
                if (await WaitOrRetireAsync(lane)) continue;
                return;
            }

            try
            {
                await SendAsync(lane, item);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                item.Done.TrySetCanceled();
            }
            catch (Exception ex)
            {
                // One undeliverable message must not block the conversation behind it.
                LogDropped(item.Kind.ToString(), item.ConversationId, ex.Message);
                item.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>True when more work arrived; false when the lane retired (idle, or stopping).</summary>
    private async Task<bool> WaitOrRetireAsync(Lane lane)
    {
        using var idle = new CancellationTokenSource(IdleLifetime, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, _stopping.Token);
        try
        {
            return await lane.Queue.Reader.WaitToReadAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            if (_stopping.IsCancellationRequested) return false;
            lock (_sync)
            {
                // Enqueue writes under the same lock, so nothing can slip in between this check and the removal.
                if (lane.Queue.Reader.TryPeek(out _)) return true;
                _lanes.TryRemove(lane.Key, out _);
                lane.Queue.Writer.TryComplete();
                return false;
            }
        }
    }

    private async Task SendAsync(Lane lane, Outbound item)
    {
        switch (item.Kind)
        {
            case OutboundKind.Message:
                var id = await PacedAsync(lane, ct => connector.SendActivityAsync(item.ServiceUrl, item.ConversationId, item.Activity!, item.ReplyToId, ct));
                item.OnSent?.Invoke(id);
                item.Done.TrySetResult(id);
                break;
            case OutboundKind.Output:
                await SendOutputAsync(lane, item);
                break;
            case OutboundKind.CardUpdate:
                await SendCardUpdateAsync(lane, item);
                break;
            case OutboundKind.CreateConversation:
                var created = await PacedAsync(lane, async ct =>
                {
                    item.Created = await connector.CreateConversationAsync(item.ServiceUrl, item.Activity!, ct);
                    return item.Created.Id;
                });
                item.Done.TrySetResult(created);
                break;
            case OutboundKind.Replace:
                var replaced = item.CardActivityId ?? throw new ChatDeliveryException(ResilientHttp.Platform, "no_activity_id", "an update needs the id of the activity it replaces");
                await PacedAsync(lane, async ct =>
                {
                    await connector.UpdateActivityAsync(item.ServiceUrl, item.ConversationId, replaced, item.Activity!, ct);
                    return replaced;
                });
                item.Done.TrySetResult(replaced);
                break;
        }
    }

    private async Task SendOutputAsync(Lane lane, Outbound first)
    {
        // Everything of the same command already waiting behind this piece goes out with it.
        var merged = new List<Outbound> { first };
        var text = new StringBuilder(first.Text);
        while (lane.Queue.Reader.TryPeek(out var next) && next.Kind == OutboundKind.Output && next.MergeKey == first.MergeKey
               && text.Length + (next.Text?.Length ?? 0) <= options.MaxMessageChars && lane.Queue.Reader.TryRead(out next))
        {
            if (text.Length > 0 && text[^1] != '\n') text.Append('\n');
            text.Append(next.Text);
            merged.Add(next);
        }

        string? lastId = null;
        try
        {
            // Room for the fence and the heading: a single piece larger than a message is cut at line ends.
            foreach (var piece in TeamsText.Split(text.ToString(), Math.Max(100, options.MaxMessageChars - 200)))
            {
                var activity = first.Activity!.DeepClone().AsObject();
                activity["text"] = TeamsText.CodeBlock(piece, first.Heading);
                activity["textFormat"] = "markdown";
                lastId = await PacedAsync(lane, ct => connector.SendActivityAsync(first.ServiceUrl, first.ConversationId, activity, first.ReplyToId, ct));
            }
        }
        catch (Exception ex) when (merged.Count > 1)
        {
            foreach (var item in merged.Skip(1)) item.Done.TrySetException(ex);
            throw;
        }

        foreach (var item in merged) item.Done.TrySetResult(lastId);
    }

    private async Task SendCardUpdateAsync(Lane lane, Outbound item)
    {
        var card = item.Card!;
        string? activityId;
        lock (card)
        {
            // A newer state is queued behind this one: only the latest goes out (updates collapse).
            if (card.Version > item.CardVersion)
            {
                item.Done.TrySetResult(card.ActivityId);
                return;
            }

            activityId = card.ActivityId ?? item.CardActivityId;
        }

        if (activityId is not null)
        {
            await PacedAsync(lane, async ct =>
            {
                await connector.UpdateActivityAsync(item.ServiceUrl, item.ConversationId, activityId, item.Activity!, ct);
                return activityId;
            });
        }
        else if (item.CardFinished && !card.ResultPosted)
        {
            // The command card was never posted (or its id never came back): show the result as a new card.
            activityId = await PacedAsync(lane, ct => connector.SendActivityAsync(item.ServiceUrl, item.ConversationId, item.Activity!, item.ReplyToId, ct));
            lock (card)
            {
                card.ResultPosted = true;
                card.ActivityId ??= activityId;
            }
        }

        // Otherwise still running with no card to update in place: the final state will be shown.
        item.Done.TrySetResult(activityId);
    }

    private async Task<string?> PacedAsync(Lane lane, Func<CancellationToken, Task<string?>> send)
    {
        var wait = lane.Pacer.DelayBeforeNext();
        if (wait > TimeSpan.Zero)
        {
            LogPacing(lane.Key, wait.TotalMilliseconds);
            await pause.ForAsync(wait, PauseReason.Pacing, _stopping.Token);
        }

        // Then the app-wide limit, once this conversation may send: the slot reserved is the moment it goes.
        // A retry inside the call (429, 412, 5xx) takes a slot of its own before it goes.
        await AppSlotAsync(_stopping.Token);
        ResilientHttp.BeforeRetry.Value = AppSlotAsync;
        try
        {
            return await send(_stopping.Token);
        }
        finally
        {
            // Counted once it is over: a retried call reached Teams at its last attempt, maybe seconds later,
            // and the conversation's next sends are paced from then. (Counted at the start, a retried post
            // plus the next 7 went within one second: found by the 1,000-alert burst test.)
            lane.Pacer.RecordSend();
        }
    }

    private async Task AppSlotAsync(CancellationToken cancellationToken)
    {
        var slot = _appPacer.Reserve();
        if (slot > TimeSpan.Zero)
        {
            LogPacing("(all conversations)", slot.TotalMilliseconds);
            await pause.ForAsync(slot, PauseReason.Pacing, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Teams {Kind} to conversation {ConversationId} could not be delivered: {Reason}")]
    private partial void LogDropped(string kind, string conversationId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Teams conversation {Lane}: pacing {DelayMs:0} ms under the rate limit")]
    private partial void LogPacing(string lane, double delayMs);

    private sealed class Lane
    {
        private Lane(string key, TimeProvider time)
        {
            Key = key;
            Pacer = new SendPacer(time);
        }

        public string Key { get; }
        public Channel<Outbound> Queue { get; } = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });
        public SendPacer Pacer { get; }
        public Task Worker { get; private set; } = Task.CompletedTask;

        public static Lane Start(string key, ConversationOutbox outbox, TimeProvider time)
        {
            var lane = new Lane(key, time);
            lane.Worker = Task.Run(() => outbox.RunAsync(lane));
            return lane;
        }
    }
}
