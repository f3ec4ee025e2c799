using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Button clicks. The clicking user is whoever Slack says clicked (the signed payload's
/// <c>user.id</c>), checked like a typed command: unknown users are refused, roles are checked.
/// Every button is a command the clicker could have typed, run as them: Cancel is <c>cancel &lt;id&gt;</c>,
/// Approve / Deny are <c>approve &lt;id&gt;</c> / <c>deny &lt;id&gt;</c>, and an alert's buttons carry the
/// alert action's command (<c>ack &lt;id&gt;</c>, a runbook). So every rule of the typed command (roles,
/// self-approval, expiry) applies unchanged. The answer goes to the clicking user only (response_url,
/// ephemeral); what the command does shows in the thread as usual.
/// </summary>
internal sealed partial class SlackInteractionHandler(
    CommandIntake intake,
    SlackCommandFlow flow,
    SlackIdentity identity,
    SlackResponder responder,
    SlackOptions options,
    TimeProvider time,
    ILogger<SlackInteractionHandler> logger)
{
    private const string NoValidId = "This button carries no valid id; nothing was done.";

    private readonly ExpiringCache<Task> _clicks = new(time, TimeSpan.FromHours(1), 50_000);

    public async Task AcceptAsync(SlackInteraction interaction, long arrivedTimestamp)
    {
        if (interaction.Type != "block_actions")
        {
            LogIgnored(interaction.Type);
            return;
        }

        // One click is one trigger; a replayed payload joins the first click instead of acting twice.
        var key = interaction.TriggerId ?? $"{interaction.UserId}/{interaction.ActionTs}/{interaction.ActionId}";
        var work = _clicks.GetOrAdd(interaction.TeamId + "/" + key, () => ProcessAsync(interaction, key), out var first);
        if (!first) return;
        await AckBudget.WaitAsync(work, arrivedTimestamp, options.AckBudget, time);
    }

    private async Task ProcessAsync(SlackInteraction click, string key)
    {
        try
        {
            var answer = await DecideAsync(click, key);
            LogClicked(click.ActionId, click.TeamId, click.UserId);
            Answer(click, key, answer);
        }
        catch (Exception ex)
        {
            LogFailed(click.ActionId, ex);
            Answer(click, key, "Something went wrong on our side, so this click may not have done anything; the server log has the details. Try again in a moment.");
        }
    }

    private async Task<string> DecideAsync(SlackInteraction click, string key)
    {
        var requester = await identity.ResolveAsync(click.TeamId, click.UserId, CancellationToken.None);
        if (requester is null) return SlackIdentity.NotMapped(click.TeamId, click.UserId);
        var requestId = SlackIds.RequestId("action", click.TeamId, key);
        var kind = SlackActions.KindOf(click.ActionId);
        switch (kind)
        {
            case SlackActions.Cancel:
                if (!SlackIds.IsCommandId(click.Value)) return NoValidId;
                var thread = new ChatRef(SlackWebApiClient.Platform, click.ChannelId ?? "", click.ThreadTs ?? click.MessageTs,
                    new Dictionary<string, string> { [SlackRoots.TeamKey] = click.TeamId, [SlackRoots.UserKey] = click.UserId });
                var reply = await intake.HandleAsync(new IntakeRequest(requester, thread, $"cancel {click.Value}", requestId));
                return reply.Text;
            case SlackActions.Approve or SlackActions.Deny:
                // Exactly the typed command, so roles, self-approval, expiry and the fingerprint are checked in one place.
                if (!SlackIds.IsCommandId(click.Value)) return NoValidId;
                return await TypedAsync(click, $"{kind} {click.Value}", requestId);
            case SlackActions.AlertAck or SlackActions.AlertResolve or SlackActions.AlertRunbook or SlackActions.AlertSilence:
                if (AlertCommandOf(kind, click.Value) is not { } command) return "This alert button carries no command ChatOps can run; nothing was done.";
                return await TypedAsync(click, command, requestId);
            default:
                return "This button is not one ChatOps knows; nothing was done.";
        }
    }

    /// <summary>Runs <paramref name="text"/> as if the clicking user had typed it in the message's thread.</summary>
    private async Task<string> TypedAsync(SlackInteraction click, string text, string requestId)
    {
        if (click.ChannelId is not { } channel || !SlackIds.IsChannelId(channel)) return "This button's message has no channel; nothing was done.";
        var result = await flow.RunAsync(new SlackInbound(click.TeamId, click.UserId, channel, text, requestId, click.ThreadTs ?? click.MessageTs, click.ResponseUrl), CancellationToken.None);
        return result.Text;
    }

    /// <summary>
    /// An alert button's value is the command it runs (the card's action). It is run as the clicker,
    /// so it can do nothing they could not type; still, an Ack button only ever acknowledges.
    /// </summary>
    private static string? AlertCommandOf(string kind, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 2000) return null;
        var verb = value.TrimStart().Split(' ', 2)[0];
        var expected = kind switch
        {
            SlackActions.AlertAck => "ack",
            SlackActions.AlertResolve => "resolve",
            SlackActions.AlertSilence => "silence",
            _ => null,
        };
        return expected is null || string.Equals(verb, expected, StringComparison.OrdinalIgnoreCase) ? value.Trim() : null;
    }

    // To the clicking user only, through the bounded responder (response_url, else an ephemeral message).
    private void Answer(SlackInteraction click, string key, string text)
    {
        var requestId = SlackIds.RequestId("action", click.TeamId, key);
        var channel = click.ChannelId ?? "";
        if (!SlackIds.IsChannelId(channel) && click.ResponseUrl is null)
        {
            LogNowhereToAnswer(click.ActionId, requestId);
            return;
        }

        responder.TryQueue(new PendingAnswer(requestId, channel, click.UserId, click.ThreadTs ?? click.MessageTs, click.ResponseUrl, SlackBlocks.Reply(text)));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Slack interaction of type {Type} ignored")]
    private partial void LogIgnored(string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack button {ActionId} clicked by {TeamId}/{UserId}")]
    private partial void LogClicked(string actionId, string teamId, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The click on Slack button {ActionId} (request {RequestId}) has neither a response_url nor a channel to answer in")]
    private partial void LogNowhereToAnswer(string actionId, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling the click on Slack button {ActionId} failed")]
    private partial void LogFailed(string actionId, Exception exception);
}
