using ChatOps.Core.Chat;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// The path of a command typed in Slack (slash command, mention or DM) into ChatOps:
/// identity → <see cref="CommandIntake.PrepareAsync"/> → the in-channel root message → publish.
/// The root is posted before the command is published, so its ts travels in the command's
/// <see cref="ChatRef"/> and any notifier process, anywhere, replies into the right thread with no
/// shared state. A command whose root cannot be posted is not run (its output would have nowhere
/// to go), and the user is told why.
/// </summary>
internal sealed partial class SlackCommandFlow(
    CommandIntake intake,
    SlackIdentity identity,
    ICommandStore commands,
    SlackOutbox outbox,
    SlackRoots roots,
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
        string rootTs;
        try
        {
            rootTs = (await outbox.Enqueue(Outbound.Post(inbound.ChannelId, inbound.ThreadTs, SlackBlocks.Root(rootRequest, [], 0)), first: true)
                .WaitAsync(cancellationToken))!;
        }
        catch (ChatDeliveryException ex)
        {
            LogRootFailed(pending.RequestId, inbound.ChannelId, ex.ErrorCode);
            return new FlowResult(FlowOutcome.NotRun, CannotPost(ex.ErrorCode));
        }

        roots.Register(inbound.ChannelId, rootTs, rootRequest);
        extra[SlackRoots.RootKey] = rootTs;
        var threaded = replyTo with { Thread = inbound.ThreadTs ?? rootTs, Extra = extra };
        var refused = await intake.SubmitAsync(decision with { Pending = pending with { ReplyTo = threaded } }, cancellationToken);
        if (refused is not null)
        {
            var view = new CommandView(pending.RequestId, pending.Target, pending.Text, requester.DisplayName, CommandState.Rejected, null, null, refused.Text);
            var rendered = roots.Apply(threaded, rootTs, view);
            _ = outbox.Enqueue(Outbound.Update(inbound.ChannelId, rootTs, () => rendered));
            return new FlowResult(FlowOutcome.NotRun, refused.Text);
        }

        return new FlowResult(FlowOutcome.Queued, decision.Reply.Text, pending.RequestId);
    }

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
}
