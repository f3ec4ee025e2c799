using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Button clicks. The clicking user is whoever Slack says clicked (the signed payload's
/// <c>user.id</c>), checked like a typed command: unknown users are refused, roles are checked.
/// Cancel goes through the intake as the text <c>cancel &lt;id&gt;</c>, so it obeys exactly the rules
/// of a typed cancel. The answer goes to the clicking user only (response_url, ephemeral).
/// </summary>
internal sealed partial class SlackInteractionHandler(
    CommandIntake intake,
    SlackIdentity identity,
    SlackWebApiClient api,
    SlackOptions options,
    TimeProvider time,
    ILogger<SlackInteractionHandler> logger)
{
    private static readonly IReadOnlyList<string> Approvers = [Roles.Approver, Roles.Admin];
    private static readonly IReadOnlyList<string> Operators = [Roles.Operator, Roles.Approver, Roles.Admin];

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
            await AnswerAsync(click, answer);
        }
        catch (ChatDeliveryException ex)
        {
            LogAnswerFailed(click.ActionId, ex.ErrorCode);
        }
        catch (Exception ex)
        {
            LogFailed(click.ActionId, ex);
        }
    }

    private async Task<string> DecideAsync(SlackInteraction click, string key)
    {
        var requester = await identity.ResolveAsync(click.TeamId, click.UserId, CancellationToken.None);
        if (requester is null) return SlackIdentity.NotMapped(click.TeamId, click.UserId);
        var user = await identity.UserAsync(requester, CancellationToken.None);
        if (user is null) return SlackIdentity.NotMapped(click.TeamId, click.UserId);
        if (!SlackIds.IsCommandId(click.Value)) return "This button carries no valid id; nothing was done.";

        switch (SlackActions.KindOf(click.ActionId))
        {
            case SlackActions.Cancel:
                var thread = new ChatRef(SlackWebApiClient.Platform, click.ChannelId ?? "", click.ThreadTs ?? click.MessageTs,
                    new Dictionary<string, string> { [SlackRoots.TeamKey] = click.TeamId, [SlackRoots.UserKey] = click.UserId });
                var reply = await intake.HandleAsync(new IntakeRequest(requester, thread, $"cancel {click.Value}", SlackIds.RequestId("action", click.TeamId, key)));
                return reply.Text;
            case SlackActions.Approve or SlackActions.Deny:
                return UserDirectory.HasAnyRole(user, Approvers.ToList())
                    ? $"Approvals are not available in this installation yet, so #{click.Value} was neither approved nor denied."
                    : $"You ({user.DisplayName}) may not approve or deny: that needs one of the roles {string.Join(", ", Approvers)}.";
            case SlackActions.AlertAck or SlackActions.AlertResolve or SlackActions.AlertRunbook or SlackActions.AlertSilence:
                return UserDirectory.HasAnyRole(user, Operators.ToList())
                    ? $"Alert actions are not available in this installation yet; alert {click.Value} is unchanged."
                    : $"You ({user.DisplayName}) may not act on alerts: that needs one of the roles {string.Join(", ", Operators)}.";
            default:
                return "This button is not one ChatOps knows; nothing was done.";
        }
    }

    private async Task AnswerAsync(SlackInteraction click, string text)
    {
        var message = SlackBlocks.Reply(text);
        if (click.ResponseUrl is { } url) await api.PostToResponseUrlAsync(url, message);
        else if (click.ChannelId is { } channel) await api.PostEphemeralAsync(channel, click.UserId, message, click.ThreadTs ?? click.MessageTs);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Slack interaction of type {Type} ignored")]
    private partial void LogIgnored(string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack button {ActionId} clicked by {TeamId}/{UserId}")]
    private partial void LogClicked(string actionId, string teamId, string userId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not answer the click on Slack button {ActionId}: {ErrorCode}")]
    private partial void LogAnswerFailed(string actionId, string errorCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling the click on Slack button {ActionId} failed")]
    private partial void LogFailed(string actionId, Exception exception);
}
