using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Slack.Internal;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack;

/// <summary>
/// Posts command lifecycle into Slack: every reply into the request's thread, the root message
/// updated in place (status, duration, exit code). Replies carry the notifier's dedupe key, so a
/// redelivered event posts nothing new. Status and error replies return once Slack has them (and,
/// the queue being in order, everything before them); output pieces return once queued, so a burst
/// is batched instead of paced one by one, unless the channel's queue is long.
/// </summary>
public sealed partial class SlackChatClient : IChatClient
{
    /// <summary>Queued messages for one channel beyond which output waits for delivery (back-pressure).</summary>
    internal const int OutputHighWater = 50;

    private readonly SlackOutbox _outbox;
    private readonly SlackRoots _roots;
    private readonly PendingRoots _pendingRoots;
    private readonly SlackOptions _options;
    private readonly ILogger<SlackChatClient> _logger;
    private readonly ExpiringCache<bool> _posted;
    private readonly ExpiringCache<OutputBudget> _output;

    internal SlackChatClient(SlackOutbox outbox, SlackRoots roots, PendingRoots pendingRoots, SlackOptions options, TimeProvider time, ILogger<SlackChatClient> logger)
    {
        _outbox = outbox;
        _roots = roots;
        _pendingRoots = pendingRoots;
        _options = options;
        _logger = logger;
        _posted = new ExpiringCache<bool>(time, TimeSpan.FromHours(6), 200_000);
        _output = new ExpiringCache<OutputBudget>(time, TimeSpan.FromHours(6), 20_000);
    }

    public string Platform => SlackWebApiClient.Platform;

    public async Task PostReplyAsync(ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(reply);
        string? threadTs;
        if (RootComesLater(thread))
        {
            // Even a mention's replies (its thread is known) wait: the root is the first message of the command there.
            if (await RootOrNullAsync(thread, reply.DedupeKey, cancellationToken) is not { } root) return;
            threadTs = thread.Thread ?? root;
        }
        else
        {
            threadTs = thread.Thread ?? thread.Get(SlackRoots.RootKey);
        }

        if (threadTs is null) throw new ChatDeliveryException(Platform, "no_thread", "a Slack reply needs the thread of its request");
        var dedupeKey = thread.Channel + "|" + reply.DedupeKey;
        if (!_posted.TryAdd(dedupeKey, true))
        {
            LogDuplicate(reply.DedupeKey);
            return;
        }

        try
        {
            if (reply.Kind == ReplyKind.Output)
            {
                await PostOutputAsync(thread, threadTs, reply, dedupeKey, cancellationToken);
                return;
            }

            var message = ApprovalIdOf(reply.DedupeKey) is { } approvalId
                ? SlackBlocks.ApprovalPrompt(reply.Text, approvalId)
                : SlackBlocks.Reply(reply.Text);
            await _outbox.Enqueue(Outbound.Post(thread.Channel, threadTs, message)).WaitAsync(cancellationToken);
        }
        catch (ChatDeliveryException)
        {
            // Not delivered: a redelivery of the same event must be able to try again.
            _posted.Remove(dedupeKey);
            throw;
        }
    }

    public async Task UpdateCommandAsync(ChatRef thread, CommandView view, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(view);
        // A root posted after the ack is not the thread a mention came from: never update that one instead.
        string? rootTs;
        if (RootComesLater(thread))
        {
            if (await RootOrNullAsync(thread, $"{view.CommandId}:{view.State}", cancellationToken) is not { } root) return;
            rootTs = root;
        }
        else
        {
            rootTs = thread.Get(SlackRoots.RootKey) ?? thread.Thread;
        }

        if (rootTs is null) throw new ChatDeliveryException(Platform, "no_root", "a Slack command update needs its root message");
        var rendered = _roots.Apply(thread, rootTs, view);
        await _outbox.Enqueue(Outbound.Update(thread.Channel, rootTs, () => _roots.Current(thread.Channel, rootTs, rendered))).WaitAsync(cancellationToken);
    }

    private async Task PostOutputAsync(ChatRef thread, string threadTs, ChatReply reply, string dedupeKey, CancellationToken cancellationToken)
    {
        var commandId = CommandIdOf(reply.DedupeKey) ?? thread.Get(SlackRoots.RequestKey) ?? "?";
        var budget = _output.GetOrAdd(commandId, () => new OutputBudget(), out _);
        string shown;
        bool addPointer;
        lock (budget)
        {
            var room = _options.MaxOutputChars - budget.Shown;
            shown = reply.Text.Length <= room ? reply.Text : SlackText.Truncate(reply.Text, Math.Max(room, 0), "");
            budget.Shown += shown.Length;
            addPointer = shown.Length < reply.Text.Length && !budget.PointerPosted;
            if (addPointer) budget.PointerPosted = true;
        }

        var pending = new List<Task>();
        for (var start = 0; start < shown.Length;)
        {
            var length = Math.Min(SlackOutbox.MaxBatchChars, shown.Length - start);
            if (start + length < shown.Length && char.IsHighSurrogate(shown[start + length - 1])) length--; // never split a pair
            pending.Add(_outbox.Enqueue(Outbound.Output(thread.Channel, threadTs, shown.Substring(start, length))));
            start += length;
        }

        if (addPointer)
        {
            var pointer = $"… more output than Slack shows ({_options.MaxOutputChars:N0} characters); the full output is at `/api/commands/{commandId}/output`.";
            pending.Add(_outbox.Enqueue(Outbound.Post(thread.Channel, threadTs, SlackBlocks.Reply(pointer))));
        }

        var all = Task.WhenAll(pending);
        if (_outbox.Pending(thread.Channel) > OutputHighWater)
        {
            await all.WaitAsync(cancellationToken);
            return;
        }

        // Returned before delivery so pieces batch; a failure is still logged by the outbox, and
        // forgetting the dedupe key lets a redelivered event try again.
        _ = all.ContinueWith(_ => _posted.Remove(dedupeKey), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private static bool RootComesLater(ChatRef thread) => thread.Get(PendingRoots.RootLaterKey) is not null;

    // A root that could not be posted (the requester was told) or never appeared: the message has no
    // thread to go to. Retrying cannot give it one, so it is logged and left; the command's output and
    // status stay on the admin page.
    private async Task<string?> RootOrNullAsync(ChatRef thread, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await _pendingRoots.ResolveAsync(thread, cancellationToken);
        }
        catch (ChatDeliveryException ex)
        {
            LogNoRoot(thread.Get(SlackRoots.RequestKey) ?? "?", what, ex.ErrorCode);
            return null;
        }
    }

    // The notifier's output keys are "{commandId}:out:{seq}"; the command id names the stored output.
    private static string? CommandIdOf(string dedupeKey)
    {
        var marker = dedupeKey.IndexOf(":out:", StringComparison.Ordinal);
        return marker > 0 ? dedupeKey[..marker] : null;
    }

    // The approval notifier's request step is "{approvalId}:approval:requested": that reply gets the buttons.
    private static string? ApprovalIdOf(string dedupeKey)
    {
        const string marker = ":approval:requested";
        if (!dedupeKey.EndsWith(marker, StringComparison.Ordinal)) return null;
        var id = dedupeKey[..^marker.Length];
        return SlackIds.IsCommandId(id) ? id : null;
    }

    private sealed class OutputBudget
    {
        public int Shown { get; set; }
        public bool PointerPosted { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: {What} not posted to Slack: the request's thread root could not be posted ({ErrorCode}); its status and output are at /api/commands")]
    private partial void LogNoRoot(string requestId, string what, string errorCode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Slack reply {DedupeKey} was posted already; skipped")]
    private partial void LogDuplicate(string dedupeKey);
}
