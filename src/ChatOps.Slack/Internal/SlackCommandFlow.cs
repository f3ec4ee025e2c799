using ChatOps.Core.Chat;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// The path of a command typed in Slack (slash command, mention or DM) into ChatOps:
/// identity → <see cref="CommandIntake.PrepareAsync"/> → the in-channel root message → publish.
/// In a channel ChatOps has not posted in lately the root is posted before the command is
/// published, so its ts travels in the command's <see cref="ChatRef"/>, and a command whose root
/// cannot be posted is not run (its output would have nowhere to go); the user is told why. Where
/// ChatOps posted a moment ago (<see cref="PendingRoots"/>), the command is published and
/// acknowledged at once and the root follows: the ack does not wait for Slack.
/// </summary>
internal sealed partial class SlackCommandFlow(
    CommandIntake intake,
    SlackIdentity identity,
    ICommandStore commands,
    SlackOutbox outbox,
    SlackRoots roots,
    PendingRoots pendingRoots,
    SlackResponder responder,
    SlackOptions options,
    ILogger<SlackCommandFlow> logger)
{
    public async Task<FlowResult> RunAsync(SlackInbound inbound, CancellationToken cancellationToken)
    {
        var requester = await identity.ResolveAsync(inbound.TeamId, inbound.UserId, cancellationToken);
        if (requester is null)
        {
            LogNotMapped(inbound.TeamId, inbound.UserId);
            return new FlowResult(FlowOutcome.NotMapped, SlackIdentity.NotMapped(inbound.TeamId, inbound.UserId));
        }

        // Another process (or this one before a restart) may have taken this delivery already.
        if ((await commands.ListByRequestAsync(inbound.RequestId, cancellationToken)).Count > 0)
            return new FlowResult(FlowOutcome.Duplicate, $"Already received: this request is #{inbound.RequestId}.", inbound.RequestId);

        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SlackRoots.TeamKey] = inbound.TeamId,
            [SlackRoots.UserKey] = inbound.UserId,
            [SlackRoots.RequestKey] = inbound.RequestId,
        };
        var replyTo = new ChatRef(SlackWebApiClient.Platform, inbound.ChannelId, inbound.ThreadTs, extra);
        var decision = await intake.PrepareAsync(new IntakeRequest(requester, replyTo, inbound.Text, inbound.RequestId), cancellationToken);
        if (decision.Pending is not { } pending) return new FlowResult(FlowOutcome.Answered, decision.Reply.Text);

        var single = TargetSelector.TryParse(pending.Target, out var selector, out _) && selector.Kind == TargetKind.Id;
        var rootRequest = new RootRequest(pending.RequestId, inbound.UserId, requester.DisplayName, pending.Text, pending.Target, single);
        // Ack first only where the root will follow promptly: posted there lately, and not behind a queue
        // the channel's pace would take more than a quarter of RootWait to drain (a notifier elsewhere waits that long).
        var ackFirst = options.AckFirst && pendingRoots.IsPostable(inbound.ChannelId)
            && outbox.Pending(inbound.ChannelId) * options.ChannelInterval <= options.RootWait / 4;
        var rootPost = outbox.Enqueue(Outbound.Post(inbound.ChannelId, inbound.ThreadTs, SlackBlocks.Root(rootRequest, [], 0)), first: true);
        if (ackFirst) return await SubmitBeforeRootAsync(inbound, decision, replyTo, rootRequest, rootPost, cancellationToken);

        string rootTs;
        try
        {
            rootTs = await RegisterAsync(rootPost.WaitAsync(cancellationToken), inbound.ChannelId, rootRequest);
        }
        catch (ChatDeliveryException ex)
        {
            pendingRoots.ForgetPostable(inbound.ChannelId);
            LogRootFailed(pending.RequestId, inbound.ChannelId, ex.ErrorCode);
            return new FlowResult(FlowOutcome.NotRun, CannotPost(ex.ErrorCode));
        }

        extra[SlackRoots.RootKey] = rootTs;
        var threaded = replyTo with { Thread = inbound.ThreadTs ?? rootTs, Extra = extra };
        var refused = await intake.SubmitAsync(decision with { Pending = pending with { ReplyTo = threaded } }, cancellationToken);
        if (refused is not null)
        {
            ShowRefusal(threaded, rootTs, rootRequest, refused);
            return new FlowResult(FlowOutcome.NotRun, refused.Text);
        }

        return new FlowResult(FlowOutcome.Queued, decision.Reply.Text, pending.RequestId);
    }

    // The ack-first path: the command carries "root later" instead of the root's ts; whoever posts into
    // its thread waits for the root through PendingRoots (here, or from the store in another process).
    private async Task<FlowResult> SubmitBeforeRootAsync(
        SlackInbound inbound, IntakeDecision decision, ChatRef replyTo, RootRequest rootRequest, Task<string?> rootPost, CancellationToken cancellationToken)
    {
        var pending = decision.Pending!;
        var registered = RegisterAsync(rootPost, inbound.ChannelId, rootRequest);
        pendingRoots.Track(pending.RequestId, registered);
        var extra = new Dictionary<string, string>(replyTo.Extra!, StringComparer.Ordinal) { [PendingRoots.RootLaterKey] = "true" };
        var threaded = replyTo with { Extra = extra };
        IntakeReply? refused;
        try
        {
            refused = await intake.SubmitAsync(decision with { Pending = pending with { ReplyTo = threaded } }, cancellationToken);
        }
        catch (Exception ex)
        {
            // The root still shows what became of the request; the ack reports the failure.
            _ = FinishRootAsync(registered, inbound, threaded, rootRequest, new IntakeReply($"Something went wrong on our side ({ex.GetType().Name}), so this request may not have run."));
            throw;
        }

        _ = FinishRootAsync(registered, inbound, threaded, rootRequest, refused);
        return refused is null
            ? new FlowResult(FlowOutcome.QueuedRootFollows, decision.Reply.Text, pending.RequestId)
            : new FlowResult(FlowOutcome.NotRun, refused.Text);
    }

    // Ends once the root is known to SlackRoots (so a reply that waited for it renders the whole request)
    // and the channel counts as one ChatOps posts in.
    private async Task<string> RegisterAsync(Task<string?> rootPost, string channel, RootRequest request)
    {
        var rootTs = (await rootPost)!;
        roots.Register(channel, rootTs, request);
        pendingRoots.MarkPostable(channel);
        return rootTs;
    }

    // Runs detached from the request: everything it does is logged, nothing escapes.
    private async Task FinishRootAsync(Task<string> registered, SlackInbound inbound, ChatRef threaded, RootRequest rootRequest, IntakeReply? refused)
    {
        try
        {
            await FinishRootCoreAsync(registered, inbound, threaded, rootRequest, refused);
        }
        catch (Exception ex)
        {
            LogFinishFailed(rootRequest.RequestId, ex);
        }
    }

    private async Task FinishRootCoreAsync(Task<string> registered, SlackInbound inbound, ChatRef threaded, RootRequest rootRequest, IntakeReply? refused)
    {
        string rootTs;
        try
        {
            rootTs = await registered;
        }
        catch (ChatDeliveryException ex)
        {
            // Rare: ChatOps posted here minutes ago and cannot now (removed from the channel, Slack down
            // past every retry). The command is queued already; the user hears where to follow it.
            pendingRoots.ForgetPostable(inbound.ChannelId);
            LogRootFailedAfterAck(rootRequest.RequestId, inbound.ChannelId, ex.ErrorCode);
            await pendingRoots.SaveFailedAsync(rootRequest.RequestId, inbound.ChannelId, ex.ErrorCode);
            if (refused is null)
                responder.TryQueue(new PendingAnswer(rootRequest.RequestId, inbound.ChannelId, inbound.UserId, inbound.ThreadTs, inbound.ResponseUrl,
                    SlackBlocks.Reply(RootLost(rootRequest.RequestId, ex.ErrorCode))));
            return;
        }

        await pendingRoots.SavePostedAsync(rootRequest.RequestId, inbound.ChannelId, rootTs);
        if (refused is not null) ShowRefusal(threaded, rootTs, rootRequest, refused);
    }

    private void ShowRefusal(ChatRef threaded, string rootTs, RootRequest rootRequest, IntakeReply refused)
    {
        var view = new CommandView(rootRequest.RequestId, rootRequest.Target, rootRequest.CommandText, rootRequest.RequesterName, CommandState.Rejected, null, null, refused.Text);
        var rendered = roots.Apply(threaded, rootTs, view);
        _ = outbox.Enqueue(Outbound.Update(threaded.Channel, rootTs, () => rendered));
    }

    private static string RootLost(string requestId, string errorCode) =>
        $"#{requestId} is queued, but I could not post its thread here ({errorCode}); follow it with `history` or on the admin page (`/api/commands/{requestId}`). "
        + (errorCode is "not_in_channel" or "channel_not_found"
            ? "Invite me with `/invite @ChatOps` so the next command gets its thread."
            : "The next command here waits until its thread is posted.");

    private static string CannotPost(string errorCode) => errorCode switch
    {
        "not_in_channel" or "channel_not_found" =>
            $"I cannot post in this conversation ({errorCode}), so nothing was run. Invite me with `/invite @ChatOps`, or send me the command in a direct message.",
        "is_archived" => "This channel is archived, so nothing was run.",
        _ => $"Slack did not let me post the command's thread ({errorCode}), so nothing was run. Try again in a moment.",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack user {TeamId}/{UserId} is not mapped to a ChatOps user; refused")]
    private partial void LogNotMapped(string teamId, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: could not post the root message in {Channel} ({ErrorCode}); not run")]
    private partial void LogRootFailed(string requestId, string channel, string errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: acknowledged and queued, but its root message could not be posted in {Channel} ({ErrorCode}); the user was told, its thread messages cannot be posted")]
    private partial void LogRootFailedAfterAck(string requestId, string channel, string errorCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId}: finishing its root message failed")]
    private partial void LogFinishFailed(string requestId, Exception exception);
}
