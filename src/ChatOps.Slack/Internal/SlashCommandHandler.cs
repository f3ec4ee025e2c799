using ChatOps.Core.Security;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// A slash command: answered within Slack's window, always. The request id comes from
/// <c>trigger_id</c>, so the same request delivered again (a replay, a proxy retry) joins the first
/// one's work and gets its answer instead of running again. Work that outlasts the budget goes on in
/// the background and answers through the <c>response_url</c> (<see cref="SlackResponder"/>, bounded).
/// </summary>
internal sealed partial class SlashCommandHandler(
    SlackCommandFlow flow,
    SlackResponder responder,
    SlackOptions options,
    TimeProvider time,
    ILogger<SlashCommandHandler> logger)
{
    public const string WorkingOnIt = "Working on it… the answer follows here in a moment.";

    private readonly ExpiringCache<Task<string>> _requests = new(time, TimeSpan.FromHours(1), 50_000);

    /// <returns>The ephemeral text to answer with.</returns>
    public async Task<string> HandleAsync(SlashCommand command, long arrivedTimestamp)
    {
        // Without a trigger_id (never seen from Slack) the request cannot be recognised when repeated.
        var requestId = command.TriggerId is { Length: > 0 } trigger
            ? SlackIds.RequestId("command", command.TeamId, trigger)
            : Secrets.NewShortId(10);
        var work = _requests.GetOrAdd(requestId, () => RunAsync(command, requestId), out var first);
        if (!first) LogRepeated(requestId);

        if (await AckBudget.WaitAsync(work, arrivedTimestamp, options.AckBudget, time)) return Answer(work);

        if (first) _ = AnswerLaterAsync(command, requestId, work);
        return WorkingOnIt;
    }

    private async Task<string> RunAsync(SlashCommand command, string requestId)
    {
        var inbound = new SlackInbound(command.TeamId, command.UserId, command.ChannelId, SlackText.Unescape(command.Text), requestId, null, command.ResponseUrl);
        var result = await flow.RunAsync(inbound, CancellationToken.None);
        LogHandled(requestId, command.TeamId, command.UserId, result.Outcome.ToString());
        return result.Text;
    }

    private string Answer(Task<string> work)
    {
        if (work.IsCompletedSuccessfully) return work.Result;
        LogFailed(work.Exception?.GetBaseException());
        return "Something went wrong on our side, so this request may not have run; the server log has the details. Try again in a moment.";
    }

    // Only waits for the work (a continuation, no thread); the delivery itself is the responder's, bounded.
    private async Task AnswerLaterAsync(SlashCommand command, string requestId, Task<string> work)
    {
        await ((Task)work).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        responder.TryQueue(new PendingAnswer(requestId, command.ChannelId, command.UserId, null, command.ResponseUrl, SlackBlocks.Reply(Answer(work))));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack slash command {RequestId} from {TeamId}/{UserId}: {Outcome}")]
    private partial void LogHandled(string requestId, string teamId, string userId, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack slash command {RequestId} arrived again; answered from the first delivery")]
    private partial void LogRepeated(string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Slack slash command failed")]
    private partial void LogFailed(Exception? exception);
}
