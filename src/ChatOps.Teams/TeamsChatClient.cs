using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;

namespace ChatOps.Teams;

/// <summary>
/// Posts into Microsoft Teams for the notifier (platform <c>teams</c>): lifecycle lines and output as
/// replies in the request's thread (output batched, as code blocks), and the command card updated in
/// place with the final result. A command that waits for approval also gets an approval card
/// (Approve / Deny) in its thread, rewritten with the decision once one is announced. Calls return
/// once the message is queued for its conversation; the queue retries throttled sends until delivered. A reply whose dedupe key was seen already is a
/// no-op, and a thread whose serviceUrl is not trusted is refused with
/// <see cref="ChatDeliveryException"/> before anything is sent.
/// </summary>
public sealed partial class TeamsChatClient : IChatClient
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
    private readonly ApprovalCards _approvals;
    private readonly ServiceUrls _serviceUrls;
    private readonly ExpiringSet _posted;

    internal TeamsChatClient(ConversationOutbox outbox, RootCards cards, ApprovalCards approvals, ServiceUrls serviceUrls, TimeProvider time)
    {
        _outbox = outbox;
        _cards = cards;
        _approvals = approvals;
        _serviceUrls = serviceUrls;
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

        if (ApprovalDecision().Match(reply.DedupeKey) is { Success: true } decided)
            RewriteApprovalCard(decided.Groups["id"].Value, reply.Text);
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
        // The approval notifier announces a request as one view under the approval (= request) id.
        if (view.State == CommandState.AwaitingApproval && view.CommandId == requestId)
            return PostApprovalRequestAsync(thread, new TeamsApprovalCard(view.CommandId, view.CommandText, view.ServerId, view.RequestedBy), cancellationToken);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Posts an approval card (Approve / Deny) into a thread, once per approval id; returns once it is
    /// queued. A click runs <c>approve &lt;id&gt;</c> or <c>deny &lt;id&gt;</c> as the clicking user.
    /// </summary>
    public Task PostApprovalRequestAsync(ChatRef thread, TeamsApprovalCard approval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(approval);
        var serviceUrl = TrustedServiceUrl(thread);
        var state = new ApprovalCardState(approval, serviceUrl, thread.Channel, _approvals.Now);
        if (!_approvals.TryAdd(state)) return Task.CompletedTask;

        var activity = Message(thread, null);
        activity["attachments"] = AdaptiveCards.Attachment(AdaptiveCards.Approval(approval))["attachments"]!.DeepClone();
        state.Posted = Observe(_outbox.Enqueue(new Outbound
        {
            Kind = OutboundKind.Message,
            ServiceUrl = serviceUrl,
            ConversationId = thread.Channel,
            ReplyToId = thread.Thread,
            Activity = activity,
        }));
        return Task.CompletedTask;
    }

    /// <summary>The approval was decided (or expired): its card shows the decision and loses its buttons.</summary>
    private void RewriteApprovalCard(string approvalId, string decision)
    {
        if (_approvals.Find(approvalId) is not { } state || !state.TryDecide()) return;
        _ = Observe(ReplaceWhenPostedAsync());

        async Task<string?> ReplaceWhenPostedAsync()
        {
            // Queued on the same lane behind the post; its id is known once the post went out.
            var activityId = await state.Posted;
            if (activityId is null) return null;
            var activity = AdaptiveCards.Attachment(AdaptiveCards.Approval(state.Card, decision));
            activity["conversation"] = new JsonObject { ["id"] = state.ConversationId };
            return await _outbox.Enqueue(new Outbound
            {
                Kind = OutboundKind.Replace,
                ServiceUrl = state.ServiceUrl,
                ConversationId = state.ConversationId,
                CardActivityId = activityId,
                Activity = activity,
            });
        }
    }

    // The sender logs what it could not deliver; nobody waits on these.
    private static Task<string?> Observe(Task<string?> sent)
    {
        _ = sent.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        return sent;
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

    // The approval notifier's keys of a final step are "{approvalId}:approval:{decision}".
    [GeneratedRegex("^(?<id>[A-Za-z0-9_-]{1,64}):approval:(?:approved|denied|expired|cancelled)$")]
    private static partial Regex ApprovalDecision();

    // The notifier's output keys are "{commandId}:out:{seq}".
    private static string? CommandIdOf(string dedupeKey)
    {
        var at = dedupeKey.IndexOf(":out:", StringComparison.Ordinal);
        return at > 0 ? dedupeKey[..at] : null;
    }
}
