using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;

namespace ChatOps.Teams;

/// <summary>
/// Alert threads in Microsoft Teams (routes with <c>platform: teams</c>). Opening a thread starts a new
/// conversation in the route's channel (<c>19:…@thread.tacv2</c>, proactive, at
/// <see cref="TeamsOptions.ServiceUrl"/>) whose first message is the alert card; the card is rewritten
/// in place (PUT) as the alert changes, and events are replies in that thread. Each button runs its
/// <see cref="AlertAction.Command"/> as the clicking user. Calls return once Teams accepted the post
/// (throttling is waited out in the conversation's queue), so a call that throws was not delivered
/// and the notifier's retry posts it; a reply whose dedupe key was delivered before is not posted again.
/// </summary>
public sealed class TeamsAlertChannel : IAlertChannel
{
    /// <summary>A route channel that means "<see cref="TeamsOptions.AlertChannelId"/>".</summary>
    public const string DefaultChannel = "default";

    /// <summary><see cref="ChatRef.Extra"/> key of the alert a thread belongs to.</summary>
    public const string AlertIdKey = "alertId";

    private const int MaxOpened = 10_000;

    private readonly ConversationOutbox _outbox;
    private readonly TeamsOptions _options;
    private readonly ExpiringSet _posted;
    private readonly ConcurrentDictionary<string, ChatRef> _opened = new(StringComparer.Ordinal);

    internal TeamsAlertChannel(ConversationOutbox outbox, TeamsOptions options, TimeProvider time)
    {
        _outbox = outbox;
        _options = options;
        _posted = new ExpiringSet(time, TimeSpan.FromDays(7), 100_000);
    }

    public string Platform => TeamsChatClient.PlatformName;

    public async Task<ChatRef> OpenThreadAsync(AlertRoute route, AlertCard card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(card);
        var channel = ChannelOf(route);
        // The notifier opens a thread once per alert and route; a retry after a later step failed finds it here.
        var key = card.AlertId + "\n" + route.Key;
        if (_opened.TryGetValue(key, out var known)) return known;

        var channelData = new JsonObject { ["channel"] = new JsonObject { ["id"] = channel } };
        if (_options.TenantId is { } tenant) channelData["tenant"] = new JsonObject { ["id"] = tenant };
        var parameters = new JsonObject
        {
            ["isGroup"] = true,
            ["channelData"] = channelData,
            ["activity"] = AdaptiveCards.Attachment(AdaptiveCards.Alert(card)),
        };
        if (_options.TenantId is { } tenantId) parameters["tenantId"] = tenantId;
        // Through the channel's lane: a burst of alerts starts threads under the per-thread send limits.
        var create = new Outbound
        {
            Kind = OutboundKind.CreateConversation,
            ServiceUrl = _options.ServiceUrl,
            ConversationId = channel,
            Activity = parameters,
        };
        await _outbox.Enqueue(create).WaitAsync(cancellationToken);
        var created = create.Created ?? throw new ChatDeliveryException(Platform, "bad_response", "create conversation answered without a conversation");

        var extra = new Dictionary<string, string>
        {
            [TeamsChatClient.ServiceUrlKey] = _options.ServiceUrl,
            [AlertIdKey] = card.AlertId,
        };
        if (created.ActivityId is { } root) extra[TeamsChatClient.RootActivityIdKey] = root;
        if (_options.TenantId is { } t) extra[TeamsChatClient.TenantIdKey] = t;
        if (_options.AppId is { } appId) extra[TeamsChatClient.BotIdKey] = "28:" + appId;
        var thread = new ChatRef(Platform, created.Id, created.ActivityId, extra);
        if (_opened.Count >= MaxOpened) _opened.Clear();
        _opened[key] = thread;
        return thread;
    }

    public async Task UpdateRootAsync(ChatRef thread, AlertCard card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(card);
        var root = thread.Get(TeamsChatClient.RootActivityIdKey) ?? thread.Thread
            ?? throw new ChatDeliveryException(Platform, "no_root", "this alert thread has no root message id to update");
        var activity = AdaptiveCards.Attachment(AdaptiveCards.Alert(card));
        activity["conversation"] = new JsonObject { ["id"] = thread.Channel };
        await _outbox.Enqueue(new Outbound
        {
            Kind = OutboundKind.Replace,
            ServiceUrl = ServiceUrlOf(thread),
            ConversationId = thread.Channel,
            CardActivityId = root,
            Activity = activity,
        }).WaitAsync(cancellationToken);
    }

    public async Task PostReplyAsync(ChatRef thread, AlertReply reply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(reply);
        var serviceUrl = ServiceUrlOf(thread);
        var key = thread.Channel + "\n" + reply.DedupeKey;
        if (!_posted.TryAdd(key)) return;

        var activity = TeamsChatClient.Message(thread, null);
        var (text, mention) = TeamsMentions.Render(reply.Text, reply.Mention);
        activity["text"] = text;
        activity["textFormat"] = "markdown";
        if (mention is not null) activity["entities"] = new JsonArray(mention);
        try
        {
            await _outbox.Enqueue(new Outbound
            {
                Kind = OutboundKind.Message,
                ServiceUrl = serviceUrl,
                ConversationId = thread.Channel,
                ReplyToId = thread.Thread,
                Activity = activity,
            }).WaitAsync(cancellationToken);
        }
        catch
        {
            // Not delivered (or no longer waited for): the notifier's retry must be able to post it.
            _posted.Remove(key);
            throw;
        }
    }

    private string ChannelOf(AlertRoute route)
    {
        var channel = route.Channel.Trim();
        if (string.Equals(channel, DefaultChannel, StringComparison.OrdinalIgnoreCase) || channel.Length == 0)
        {
            channel = _options.AlertChannelId
                ?? throw new ChatDeliveryException(Platform, "no_alert_channel", $"the route names channel '{DefaultChannel}' but {TeamsOptions.SectionName}:AlertChannelId is not set");
        }

        // A Teams channel id: 19:…@thread.tacv2 (or @thread.skype). Anything else cannot be posted to.
        return channel.StartsWith("19:", StringComparison.Ordinal) && channel.Contains("@thread.", StringComparison.Ordinal) && channel.Length <= 256
               && !channel.Any(char.IsWhiteSpace)
            ? channel
            : throw new ChatDeliveryException(Platform, "bad_channel", $"'{route.Channel}' is not a Teams channel id (19:…@thread.tacv2)");
    }

    private static string ServiceUrlOf(ChatRef thread) =>
        thread.Get(TeamsChatClient.ServiceUrlKey)
        ?? throw new ChatDeliveryException(TeamsChatClient.PlatformName, "no_service_url", "a Teams alert thread needs the serviceUrl it was opened at");
}
