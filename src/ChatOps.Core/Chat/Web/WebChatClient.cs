using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Chat.Web;

/// <summary>
/// The built-in chat channel (<c>/api/chat</c> and the console page): replies are stored as thread
/// messages, read back with <c>GET /api/chat/threads/{id}</c> (which can wait for the final status).
/// </summary>
public sealed class WebChatClient(IChatThreadStore threads, TimeProvider time, ThreadFinalSignal finished) : IChatClient
{
    public const string PlatformName = "web";
    public const string BotAuthor = "chatops";

    public string Platform => PlatformName;

    // The thread keeps only a status word; the command's text and server are already in its messages.
    public bool ShowsCommandDetails => false;

    public async Task PostReplyAsync(ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default) =>
        await threads.AppendMessageAsync(ThreadId(thread), BotAuthor, reply.Text, time.GetUtcNow(), reply.DedupeKey, cancellationToken);

    public async Task UpdateCommandAsync(ChatRef thread, CommandView view, CancellationToken cancellationToken = default)
    {
        var threadId = ThreadId(thread);
        var status = CommandStateNames.Of(view.State);
        await threads.SetStatusAsync(threadId, status, cancellationToken);
        // After the write: a woken waiter reads the store and must find the status there.
        if (WebConsole.FinalStatuses.Contains(status)) await finished.NotifyAsync(threadId, cancellationToken);
    }

    private static string ThreadId(ChatRef thread) =>
        thread.Thread ?? throw new ChatDeliveryException(PlatformName, "no_thread", "a web-channel reply needs a thread id");
}
