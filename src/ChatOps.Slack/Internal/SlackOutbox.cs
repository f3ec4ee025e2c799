using System.Text;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// One outbound queue per channel, drained by one worker at Slack's pace (about one message per
/// second per channel; thread roots, which hold up an acknowledgement, may burst a little, see
/// <see cref="SlackOptions.RootBurst"/>). Output pieces queued behind each other for the same thread go out as one
/// message (concatenated, never dropped); updates of one message collapse into the latest. Rate
/// limits and transient errors are handled by <see cref="SlackWebApiClient"/> inside the worker, so
/// a 429 holds back exactly the channel that earned it.
/// </summary>
internal sealed partial class SlackOutbox(SlackWebApiClient api, SlackOptions options, TimeProvider time, ILogger<SlackOutbox> logger) : IAsyncDisposable
{
    /// <summary>Most raw characters of output in one message (Slack advises messages under 4,000).</summary>
    public const int MaxBatchChars = 3000;

    private readonly Dictionary<string, ChannelQueue> _channels = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private bool _disposed;

    /// <summary>Queues a message; <paramref name="first"/> puts it ahead of ordinary messages waiting (thread roots), in arrival order among themselves.</summary>
    public Task<string?> Enqueue(Outbound item, bool first = false)
    {
        ChannelQueue queue;
        lock (_lock)
        {
            if (_disposed) throw new ChatDeliveryException(SlackWebApiClient.Platform, "shutting_down", "the Slack outbox is shutting down");
            if (!_channels.TryGetValue(item.Channel, out queue!))
            {
                queue = new ChannelQueue();
                _channels[item.Channel] = queue;
            }
        }

        lock (queue)
        {
            if (item.Kind == OutboundKind.Update)
            {
                // The waiting update renders the latest state when it is sent, so this one rides along with it.
                if (queue.WaitingUpdates.TryGetValue(item.Ts!, out var waiting)) return waiting.Done.Task;
                queue.WaitingUpdates[item.Ts!] = item;
            }

            if (first)
            {
                // Ahead of ordinary messages, but behind roots already waiting: roots go out in the
                // order they were asked for, or a steady stream of new ones would starve the oldest.
                // They are a prefix of the queue, so remembering its last node keeps this O(1) however long the queue.
                item.Ahead = true;
                queue.LastAhead = queue.LastAhead is null ? queue.Items.AddFirst(item) : queue.Items.AddAfter(queue.LastAhead, item);
            }
            else
            {
                queue.Items.AddLast(item);
            }

            if (!queue.Running)
            {
                queue.Running = true;
                queue.Worker = Task.Run(() => DrainAsync(queue));
            }
        }

        return item.Done.Task;
    }

    /// <summary>How many messages wait for <paramref name="channel"/>.</summary>
    public int Pending(string channel)
    {
        ChannelQueue? queue;
        lock (_lock) _channels.TryGetValue(channel, out queue);
        if (queue is null) return 0;
        lock (queue) return queue.Items.Count;
    }

    private async Task DrainAsync(ChannelQueue queue)
    {
        while (true)
        {
            List<Outbound> batch;
            lock (queue)
            {
                if (queue.Items.Count == 0)
                {
                    queue.Running = false;
                    return;
                }

                batch = TakeBatch(queue);
            }

            var now = time.GetUtcNow();
            var wait = queue.NextSendAt - now;
            if (wait > TimeSpan.Zero && batch[0].Ahead && MayBurst(queue, now)) wait = TimeSpan.Zero;
            try
            {
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, _stopping.Token);
                Charge(queue, time.GetUtcNow());
                var result = await SendAsync(batch);
                foreach (var item in batch) item.Done.TrySetResult(result);
            }
            catch (Exception ex)
            {
                var error = ex as ChatDeliveryException
                    ?? new ChatDeliveryException(SlackWebApiClient.Platform, ex is OperationCanceledException ? "shutting_down" : "internal", ex.Message);
                LogDeliveryFailed(batch[0].Channel, batch[0].Kind.ToString(), batch.Count, error.ErrorCode);
                foreach (var item in batch) item.Done.TrySetException(error);
            }

            queue.NextSendAt = time.GetUtcNow() + options.ChannelInterval;
        }
    }

    // The channel's pace as a schedule (GCRA): every send, paced or not, moves PacedUntil one interval on
    // from max(PacedUntil, now). A root may skip the wait while the channel is at most RootBurst sends ahead
    // of its pace, so a burst is paid back before the next one: a steady stream of roots stays at one per
    // interval. (A separate root allowance refilled by time alone let roots go at twice the pace, about
    // 2 messages/s, for as long as they kept coming: found by the 1,000-alert burst test.)
    private bool MayBurst(ChannelQueue queue, DateTimeOffset now) =>
        options.RootBurst > 0 && options.ChannelInterval > TimeSpan.Zero
        && queue.PacedUntil - now <= options.ChannelInterval * options.RootBurst;

    private void Charge(ChannelQueue queue, DateTimeOffset now) =>
        queue.PacedUntil = (queue.PacedUntil > now ? queue.PacedUntil : now) + options.ChannelInterval;

    private static List<Outbound> TakeBatch(ChannelQueue queue)
    {
        var items = queue.Items;
        if (ReferenceEquals(items.First, queue.LastAhead)) queue.LastAhead = null; // the last root waiting goes now
        var first = items.First!.Value;
        items.RemoveFirst();
        // Once on its way an update no longer takes later ones along: they queue for the next send.
        if (first.Kind == OutboundKind.Update) queue.WaitingUpdates.Remove(first.Ts!);
        var batch = new List<Outbound> { first };
        if (first.Kind != OutboundKind.Output) return batch;

        var length = first.Text!.Length;
        while (items.First?.Value is { Kind: OutboundKind.Output } next && next.ThreadTs == first.ThreadTs && length + next.Text!.Length <= MaxBatchChars)
        {
            items.RemoveFirst();
            batch.Add(next);
            length += next.Text.Length;
        }

        return batch;
    }

    private async Task<string?> SendAsync(List<Outbound> batch)
    {
        var item = batch[0];
        var token = _stopping.Token;
        switch (item.Kind)
        {
            case OutboundKind.Post:
                return await api.PostMessageAsync(item.Channel, item.Message!, item.ThreadTs, token);
            case OutboundKind.Output:
                var text = new StringBuilder();
                foreach (var piece in batch) text.Append(piece.Text);
                return await api.PostMessageAsync(item.Channel, SlackBlocks.Output(text.ToString()), item.ThreadTs, token);
            case OutboundKind.Update:
                await api.UpdateMessageAsync(item.Channel, item.Ts!, item.Render!(), token);
                return item.Ts;
            case OutboundKind.Ephemeral:
                await api.PostEphemeralAsync(item.Channel, item.User!, item.Message!, item.ThreadTs, token);
                return null;
            default:
                throw new InvalidOperationException($"unknown outbound kind {item.Kind}");
        }
    }

    /// <summary>Gives queued messages a few seconds to go out, then fails the rest (they are logged).</summary>
    public async ValueTask DisposeAsync()
    {
        List<Task> workers;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            workers = _channels.Values.Select(q =>
            {
                lock (q) return q.Worker;
            }).Where(w => w is not null).Select(w => w!).ToList();
        }

        try
        {
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(5), time);
        }
        catch (TimeoutException)
        {
            LogAbandoned(_channels.Values.Sum(q =>
            {
                lock (q) return q.Items.Count;
            }));
        }

        // Not disposed: a worker still finishing may read its token; it holds no timer or handle.
        await _stopping.CancelAsync();
    }

    private sealed class ChannelQueue
    {
        public LinkedList<Outbound> Items { get; } = new();

        /// <summary>The last root of the roots at the head of <see cref="Items"/>; null when none waits.</summary>
        public LinkedListNode<Outbound>? LastAhead { get; set; }

        /// <summary>Updates waiting in <see cref="Items"/>, by the ts of the message they update.</summary>
        public Dictionary<string, Outbound> WaitingUpdates { get; } = new(StringComparer.Ordinal);

        public bool Running { get; set; }
        public Task? Worker { get; set; }
        public DateTimeOffset NextSendAt { get; set; }
        public DateTimeOffset PacedUntil { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not deliver {Count} Slack message(s) ({Kind}) to channel {Channel}: {ErrorCode}")]
    private partial void LogDeliveryFailed(string channel, string kind, int count, string errorCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutting down with {Count} Slack message(s) still queued; they are not delivered")]
    private partial void LogAbandoned(int count);
}
