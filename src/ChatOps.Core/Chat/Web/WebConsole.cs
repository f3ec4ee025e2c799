using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;

namespace ChatOps.Core.Chat.Web;

/// <summary>The answer to <c>POST /api/chat/messages</c>.</summary>
public sealed record WebMessageResult(string Text, string ThreadId, string? CommandId);

/// <summary>What <c>GET /api/chat/threads/{id}</c> shows.</summary>
public sealed record WebThreadView(string ThreadId, string Status, string? CommandId, IReadOnlyList<ChatThreadMessage> Messages);

/// <summary>
/// The built-in chat channel: every message opens (or continues) a thread that holds the user's
/// text, the ack, and then whatever the notifier posts for the command.
/// </summary>
public sealed class WebConsole(CommandIntake intake, IChatThreadStore threads, TimeProvider time, ThreadFinalSignal finished)
{
    public const string DefaultChannel = "console";

    public async Task<WebMessageResult> PostAsync(Requester requester, string? channel, string text, string? threadId, string? requestId, CancellationToken cancellationToken = default)
    {
        channel = string.IsNullOrWhiteSpace(channel) ? DefaultChannel : channel;
        ChatThread? create = null;
        if (threadId is null || await threads.GetThreadAsync(threadId, cancellationToken) is null)
        {
            threadId = "t" + Secrets.NewShortId(10);
            create = new ChatThread(threadId, channel, requester.UserId, null, time.GetUtcNow());
        }

        // Stored before the intake runs, so the user's text is in the thread whatever happens next.
        await ApplyAsync(new ThreadUpdate(threadId, [new ThreadMessage(requester.DisplayName, text, time.GetUtcNow(), requestId is null ? null : "in:" + requestId)])
        {
            Create = create,
        }, cancellationToken);
        var decision = await intake.PrepareAsync(new IntakeRequest(requester, new ChatRef(WebChatClient.PlatformName, channel, threadId), text, requestId), cancellationToken);
        var reply = decision.Reply;
        if (decision.Pending is { } pending)
        {
            // The ack is stored before the command is published, so the notifier's replies come after it.
            await ApplyAsync(new ThreadUpdate(threadId, [new ThreadMessage(WebChatClient.BotAuthor, reply.Text, time.GetUtcNow(), pending.RequestId + ":ack")])
            {
                CommandId = pending.RequestId,
                Status = CommandStateNames.Of(CommandState.Queued),
            }, cancellationToken);
            if (await intake.SubmitAsync(decision, cancellationToken) is { } refused)
            {
                await ApplyAsync(new ThreadUpdate(threadId, [new ThreadMessage(WebChatClient.BotAuthor, refused.Text, time.GetUtcNow())]) { Status = "not_accepted" }, cancellationToken);
                return new WebMessageResult(refused.Text, threadId, null);
            }

            return new WebMessageResult(reply.Text, threadId, pending.RequestId);
        }

        await ApplyAsync(new ThreadUpdate(threadId, [new ThreadMessage(WebChatClient.BotAuthor, reply.Text, time.GetUtcNow())]) { Status = "answered" }, cancellationToken);
        return new WebMessageResult(reply.Text, threadId, null);
    }

    // One write when the store can batch; the same steps one by one otherwise.
    private async Task ApplyAsync(ThreadUpdate update, CancellationToken cancellationToken)
    {
        if (threads is IChatThreadBatchWriter batch)
        {
            await batch.ApplyAsync(update, cancellationToken);
            return;
        }

        if (update.Create is { } create) await threads.CreateThreadAsync(create, cancellationToken);
        if (update.CommandId is { } commandId) await threads.SetCommandAsync(update.ThreadId, commandId, cancellationToken);
        foreach (var message in update.Messages)
            await threads.AppendMessageAsync(update.ThreadId, message.Author, message.Text, message.At, message.DedupeKey, cancellationToken);
        if (update.Status is { } status) await threads.SetStatusAsync(update.ThreadId, status, cancellationToken);
    }

    /// <summary>The thread statuses after which nothing more is posted.</summary>
    public static readonly IReadOnlySet<string> FinalStatuses = new HashSet<string>(
        ["succeeded", "failed", "timed_out", "cancelled", "rejected", "answered", "not_accepted"], StringComparer.Ordinal);

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until the thread reaches a final status, then returns it.
    /// Woken by <see cref="ThreadFinalSignal"/> when the notifier (in any process) stores a final status;
    /// the store stays the truth, read on every wake and now and then in case a signal was lost.
    /// </summary>
    public async Task<WebThreadView?> WaitForFinalAsync(string threadId, string userId, bool isAdmin, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = time.GetUtcNow() + timeout;
        var pause = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            using var signal = finished.Register(threadId);
            var status = await threads.GetStatusAsync(threadId, cancellationToken);
            var left = deadline - time.GetUtcNow();
            if (status is not null && FinalStatuses.Contains(status) || left <= TimeSpan.Zero)
                return await GetThreadAsync(threadId, userId, isAdmin, cancellationToken);

            // Not hearing other processes (pub/sub down): poll as before, the pause doubling up to 10 ms.
            var poll = finished.HearsOthers ? ThreadFinalSignal.PollInterval : pause;
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 10));
            using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var elapsed = Task.Delay(poll < left ? poll : left, time, stopWaiting.Token);
            await Task.WhenAny(signal.Fired, elapsed);
            await stopWaiting.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public async Task<WebThreadView?> GetThreadAsync(string threadId, string userId, bool isAdmin, CancellationToken cancellationToken = default)
    {
        var thread = await threads.GetThreadAsync(threadId, cancellationToken);
        if (thread is null || (!isAdmin && thread.UserId != userId)) return null;
        var status = await threads.GetStatusAsync(threadId, cancellationToken) ?? "answered";
        var messages = await threads.GetMessagesAsync(threadId, 0, cancellationToken);
        return new WebThreadView(threadId, status, thread.CommandId, messages);
    }
}
