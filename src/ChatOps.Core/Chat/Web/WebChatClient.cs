using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Chat.Web;

/// <summary>
/// The built-in chat channel (<c>/api/chat</c> and the console page): replies are stored as thread
/// messages, read back by polling <c>GET /api/chat/threads/{id}</c>.
/// </summary>
public sealed class WebChatClient(IChatThreadStore threads, TimeProvider time) : IChatClient
{
    public const string PlatformName = "web";
    public const string BotAuthor = "chatops";

    public string Platform => PlatformName;

    public async Task PostReplyAsync(ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default) =>
        await threads.AppendMessageAsync(ThreadId(thread), BotAuthor, reply.Text, time.GetUtcNow(), reply.DedupeKey, cancellationToken);

    public Task UpdateCommandAsync(ChatRef thread, CommandView view, CancellationToken cancellationToken = default) =>
        threads.SetStatusAsync(ThreadId(thread), CommandStateNames.Of(view.State), cancellationToken);

    private static string ThreadId(ChatRef thread) =>
        thread.Thread ?? throw new ChatDeliveryException(PlatformName, "no_thread", "a web-channel reply needs a thread id");
}
