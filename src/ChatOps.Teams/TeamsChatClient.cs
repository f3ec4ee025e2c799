using System.Text.Json.Nodes;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;

namespace ChatOps.Teams;

/// <summary>
/// Posts into Microsoft Teams for the notifier (platform <c>teams</c>): lifecycle lines and output as
/// replies in the request's thread (output batched, as code blocks), and the command card updated in
/// place with the final result. Calls return once the message is queued for its conversation; the
/// queue retries throttled sends until delivered. A reply whose dedupe key was seen already is a
/// no-op, and a thread whose serviceUrl is not trusted is refused with
/// <see cref="ChatDeliveryException"/> before anything is sent.
/// </summary>
public sealed class TeamsChatClient : IChatClient
{
    public const string PlatformName = "teams";

    /// <summary><see cref="ChatRef.Extra"/> keys of a Teams thread.</summary>
    public const string ServiceUrlKey = "serviceUrl";
    public const string TenantIdKey = "tenantId";
    public const string BotIdKey = "botId";
    public const string RequestIdKey = "requestId";
    public const string RootActivityIdKey = "rootActivityId";

    private readonly ConversationOutbox _outbox;
    private readonly RootCards _cards;
    private readonly TeamsConnectorClient _connector;
    private readonly ServiceUrls _serviceUrls;
    private readonly TeamsOptions _options;
    private readonly ExpiringSet _posted;

    internal TeamsChatClient(ConversationOutbox outbox, RootCards cards, TeamsConnectorClient connector, ServiceUrls serviceUrls, TeamsOptions options, TimeProvider time)
    {
        _outbox = outbox;
        _cards = cards;
        _connector = connector;
        _serviceUrls = serviceUrls;
        _options = options;
        _posted = new ExpiringSet(time, TimeSpan.FromHours(6), 100_000);
    }

    public string Platform => PlatformName;

    public Task PostReplyAsync(ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(reply);
        var serviceUrl = TrustedServiceUrl(thread);
        if (!_posted.TryAdd(thread.Channel + "\n" + reply.DedupeKey)) return Task.CompletedTask;

        if (reply.Kind == ReplyKind.Output)
        {
            var commandId = CommandIdOf(reply.DedupeKey);
            var fanOut = commandId is not null && thread.Get(RequestIdKey) is { } requestId && commandId != requestId;
            _ = _outbox.Enqueue(new Outbound
            {
                Kind = OutboundKind.Output,
                ServiceUrl = serviceUrl,
                ConversationId = thread.Channel,
                ReplyToId = thread.Thread,
                Activity = Message(thread, null),
                Text = reply.Text,
                MergeKey = $"{thread.Thread}\n{commandId}",
                Heading = fanOut ? $"**#{commandId}**" : null,
            });
        }
        else
        {
            _ = _outbox.Enqueue(new Outbound
            {
                Kind = OutboundKind.Message,
                ServiceUrl = serviceUrl,
                ConversationId = thread.Channel,
                ReplyToId = thread.Thread,
                Activity = Message(thread, reply.Text),
            });
        }

        return Task.CompletedTask;
    }

    public Task UpdateCommandAsync(ChatRef thread, CommandView view, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(view);
        var serviceUrl = TrustedServiceUrl(thread);
        var requestId = thread.Get(RequestIdKey) ?? view.CommandId;
        var card = _cards.GetOrAdd(requestId, () =>
            new RootCardState(requestId, view.CommandText, view.ServerId, view.RequestedBy, singleTarget: view.CommandId == requestId, _cards.Now));
        bool changed;
        lock (card) changed = card.Apply(view);
        if (changed) _ = _outbox.EnqueueCardUpdate(card, serviceUrl, thread.Channel, thread.Thread, thread.Get(RootActivityIdKey));
        return Task.CompletedTask;
    }

    /// <summary>Posts an approval card (Approve / Deny) into a thread; returns once it is queued.</summary>
    public Task PostApprovalRequestAsync(ChatRef thread, TeamsApprovalCard approval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(approval);
        var activity = AdaptiveCards.Attachment(AdaptiveCards.Approval(approval));
        _ = _outbox.Enqueue(new Outbound
        {
            Kind = OutboundKind.Message,
            ServiceUrl = TrustedServiceUrl(thread),
            ConversationId = thread.Channel,
            ReplyToId = thread.Thread,
            Activity = activity,
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts a new thread in <see cref="TeamsOptions.AlertChannelId"/> with an alert card
    /// (Acknowledge, Resolve, Run runbook, Silence); returns the thread for later replies.
    /// </summary>
    public async Task<ChatRef> PostAlertAsync(TeamsAlertCard alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var channel = _options.AlertChannelId
            ?? throw new ChatDeliveryException(PlatformName, "no_alert_channel", $"{TeamsOptions.SectionName}:AlertChannelId is not set, so there is no channel for alert threads");
        var channelData = new JsonObject { ["channel"] = new JsonObject { ["id"] = channel } };
        if (_options.TenantId is { } tenant) channelData["tenant"] = new JsonObject { ["id"] = tenant };
        var parameters = new JsonObject
        {
            ["isGroup"] = true,
            ["channelData"] = channelData,
            ["activity"] = AdaptiveCards.Attachment(AdaptiveCards.Alert(alert)),
        };
        var created = await _connector.CreateConversationAsync(_options.ServiceUrl, parameters, cancellationToken);
        var extra = new Dictionary<string, string> { [ServiceUrlKey] = _options.ServiceUrl };
        if (created.ActivityId is { } root) extra[RootActivityIdKey] = root;
        if (_options.TenantId is { } tenantId) extra[TenantIdKey] = tenantId;
        return new ChatRef(PlatformName, created.Id, created.ActivityId, extra);
    }

    internal static JsonObject Message(ChatRef thread, string? text)
    {
        var activity = new JsonObject { ["type"] = "message", ["conversation"] = new JsonObject { ["id"] = thread.Channel } };
        if (thread.Get(BotIdKey) is { } bot) activity["from"] = new JsonObject { ["id"] = bot };
        if (thread.Thread is { } replyTo) activity["replyToId"] = replyTo;
        if (text is not null)
        {
            activity["text"] = text;
            activity["textFormat"] = "markdown";
        }

        return activity;
    }

    private string TrustedServiceUrl(ChatRef thread)
    {
        var serviceUrl = thread.Get(ServiceUrlKey)
            ?? throw new ChatDeliveryException(PlatformName, "no_service_url", "a Teams thread needs the serviceUrl it came from");
        return _serviceUrls.IsTrusted(serviceUrl, out var normalized)
            ? normalized
            : throw new ChatDeliveryException(PlatformName, "untrusted_service_url",
                $"refusing to post to '{serviceUrl}': it arrived in no validated activity and is not in {TeamsOptions.SectionName}:AllowedServiceUrls");
    }

    // The notifier's output keys are "{commandId}:out:{seq}".
    private static string? CommandIdOf(string dedupeKey)
    {
        var at = dedupeKey.IndexOf(":out:", StringComparison.Ordinal);
        return at > 0 ? dedupeKey[..at] : null;
    }
}
