using System.Security.Cryptography;
using System.Text;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Alerts.Notifications;

/// <summary>
/// Alert threads in the built-in web channel. The thread id is derived from the alert and the route,
/// so opening twice is harmless. Web threads cannot edit a message, so the root "updated in place"
/// is the thread's status (<c>firing</c>, <c>acknowledged</c>, <c>resolved</c>); the current card is
/// served by <c>GET /api/alerts/{id}</c>.
/// </summary>
public sealed class WebAlertChannel(IChatThreadStore threads, TimeProvider time) : IAlertChannel
{
    /// <summary>The owner of alert threads: nobody's personal thread, so only admins list them in the chat API.</summary>
    public const string OwnerUserId = "system";

    public string Platform => WebChatClient.PlatformName;

    public static string ThreadIdFor(string alertId, AlertRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var routeHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(route.Key)))[..8];
        return $"alert-{alertId}-{routeHash}";
    }

    public async Task<ChatRef> OpenThreadAsync(AlertRoute route, AlertCard card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(card);
        var threadId = ThreadIdFor(card.AlertId, route);
        var now = time.GetUtcNow();
        await threads.CreateThreadAsync(new ChatThread(threadId, route.Channel, OwnerUserId, null, now), cancellationToken);
        await threads.AppendMessageAsync(threadId, WebChatClient.BotAuthor, card.Text, now, "root", cancellationToken);
        await threads.SetStatusAsync(threadId, StatusOf(card.State), cancellationToken);
        return new ChatRef(Platform, route.Channel, threadId, new Dictionary<string, string> { ["alert"] = card.AlertId });
    }

    public Task UpdateRootAsync(ChatRef thread, AlertCard card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(card);
        return threads.SetStatusAsync(ThreadId(thread), StatusOf(card.State), cancellationToken);
    }

    public async Task PostReplyAsync(ChatRef thread, AlertReply reply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var text = reply.Mention is { } mention && !reply.Text.Contains(mention, StringComparison.Ordinal) ? $"{mention} {reply.Text}" : reply.Text;
        await threads.AppendMessageAsync(ThreadId(thread), WebChatClient.BotAuthor, text, time.GetUtcNow(), reply.DedupeKey, cancellationToken);
    }

    public static string StatusOf(AlertState state) => state.ToString().ToLowerInvariant();

    private static string ThreadId(ChatRef thread) =>
        thread?.Thread ?? throw new ChatDeliveryException(WebChatClient.PlatformName, "no_thread", "an alert reply needs the thread id");
}
