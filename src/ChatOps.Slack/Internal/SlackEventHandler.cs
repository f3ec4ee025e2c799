using System.Text.RegularExpressions;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Events API: <c>app_mention</c> in channels and <c>message</c> in direct messages become commands.
/// Each event runs at most once however often Slack delivers it (retries carry the same
/// <c>event_id</c>, from which the request id is derived), and Slack always gets its 200 within the
/// window: processing that takes longer goes on in the background. Messages from bots, including
/// our own, and edited/deleted/joined messages (any <c>subtype</c>) are ignored, so the bot never
/// answers itself.
/// </summary>
internal sealed partial class SlackEventHandler(
    SlackCommandFlow flow,
    SlackOutbox outbox,
    SlackOptions options,
    TimeProvider time,
    ILogger<SlackEventHandler> logger)
{
    private readonly ExpiringCache<Task> _events = new(time, TimeSpan.FromHours(2), 50_000);

    /// <returns>When the event has been handled, or the budget is spent (work then goes on).</returns>
    public async Task AcceptAsync(SlackEvent slackEvent, int? retryNum, long arrivedTimestamp)
    {
        if (!IsCommandCandidate(slackEvent, out var why))
        {
            LogIgnored(slackEvent.EventId, slackEvent.Type, why);
            return;
        }

        var work = _events.GetOrAdd(slackEvent.TeamId + "/" + slackEvent.EventId, () => ProcessAsync(slackEvent), out var first);
        if (!first)
        {
            LogDuplicate(slackEvent.EventId, retryNum ?? 0);
            return;
        }

        await AckBudget.WaitAsync(work, arrivedTimestamp, options.AckBudget, time);
    }

    private bool IsCommandCandidate(SlackEvent e, out string why)
    {
        why = "";
        if (e.Type is not ("app_mention" or "message")) why = "not a mention or message";
        else if (e.Type == "message" && e.ChannelType != "im") why = "a message outside a direct message";
        else if (e.BotId is not null || e.Subtype is not null) why = "from a bot or not a new message";
        else if (!SlackIds.IsUserId(e.User) || !SlackIds.IsChannelId(e.Channel) || !SlackIds.IsTs(e.Ts)) why = "without user, channel or ts";
        else if (e.User == options.BotUserId || e.BotUserIds.Contains(e.User!)) why = "from this bot";
        return why.Length == 0;
    }

    private async Task ProcessAsync(SlackEvent e)
    {
        var requestId = SlackIds.RequestId("event", e.TeamId, e.EventId);
        var threadTs = e.ThreadTs is { } thread && SlackIds.IsTs(thread) ? thread : e.Ts!;
        try
        {
            var text = StripBotMentions(SlackText.Unescape(e.Text), e.BotUserIds);
            var result = await flow.RunAsync(new SlackInbound(e.TeamId, e.User!, e.Channel!, text, requestId, threadTs), CancellationToken.None);
            LogHandled(requestId, e.EventId, e.TeamId, e.User!, result.Outcome.ToString());
            switch (result.Outcome)
            {
                case FlowOutcome.Queued or FlowOutcome.QueuedRootFollows or FlowOutcome.Duplicate:
                    return; // the root message in the thread says it all
                case FlowOutcome.NotMapped:
                    await outbox.Enqueue(Outbound.Ephemeral(e.Channel!, e.User!, threadTs, SlackBlocks.Reply(result.Text)));
                    return;
                default:
                    await outbox.Enqueue(Outbound.Post(e.Channel!, threadTs, SlackBlocks.Reply(result.Text)));
                    return;
            }
        }
        catch (ChatDeliveryException ex)
        {
            LogAnswerFailed(requestId, ex.ErrorCode);
        }
        catch (Exception ex)
        {
            LogFailed(requestId, ex);
        }
    }

    // "<@UBOT> restart web-3" and "restart web-3 please <@UBOT>" both address the bot; its mention is not part of the command.
    private string StripBotMentions(string text, IReadOnlyList<string> botUserIds)
    {
        var bots = botUserIds.Concat(options.BotUserId is { } configured ? [configured] : []).Distinct().ToList();
        foreach (var bot in bots)
            text = Regex.Replace(text, $@"<@{Regex.Escape(bot)}(\|[^>]*)?>:?", " ", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        return text.Trim();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Slack event {EventId} ({Type}) ignored: {Why}")]
    private partial void LogIgnored(string eventId, string type, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack event {EventId} delivered again (X-Slack-Retry-Num {RetryNum}); already handled")]
    private partial void LogDuplicate(string eventId, int retryNum);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack request {RequestId} (event {EventId}) from {TeamId}/{UserId}: {Outcome}")]
    private partial void LogHandled(string requestId, string eventId, string teamId, string userId, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not answer Slack request {RequestId}: {ErrorCode}")]
    private partial void LogAnswerFailed(string requestId, string errorCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Slack request {RequestId} failed")]
    private partial void LogFailed(string requestId, Exception exception);
}
