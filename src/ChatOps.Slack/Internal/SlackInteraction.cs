using System.Text.Json;

namespace ChatOps.Slack.Internal;

/// <summary>The fields of a <c>block_actions</c> payload (a button click) that we use.</summary>
internal sealed record SlackInteraction(
    string Type,
    string TeamId,
    string UserId,
    string? ChannelId,
    string? MessageTs,
    string? ThreadTs,
    string? ResponseUrl,
    string? TriggerId,
    string ActionId,
    string? Value,
    string? ActionTs)
{
    public static SlackInteraction? From(JsonElement payload, out string? error)
    {
        error = null;
        var type = payload.String("type") ?? "";
        var user = payload.Object("user");
        var userId = user?.String("id");
        // The clicking user's team: user.team_id, else the payload's team (both are Slack's, signed).
        var teamId = user?.String("team_id") ?? payload.Object("team")?.String("id");
        if (!SlackIds.IsUserId(userId) || !SlackIds.IsTeamId(teamId))
        {
            error = "interaction without a valid user or team";
            return null;
        }

        JsonElement? action = null;
        if (payload.TryGetProperty("actions", out var actions) && actions.ValueKind == JsonValueKind.Array && actions.GetArrayLength() > 0)
            action = actions[0];
        if (type == "block_actions" && action?.String("action_id") is not { Length: > 0 and <= 255 })
        {
            error = "block_actions without an action_id";
            return null;
        }

        var container = payload.Object("container");
        var message = payload.Object("message");
        var channelId = container?.String("channel_id") ?? payload.Object("channel")?.String("id");
        return new SlackInteraction(type, teamId!, userId!, channelId, container?.String("message_ts") ?? message?.String("ts"),
            message?.String("thread_ts"), payload.String("response_url"), payload.String("trigger_id"),
            action?.String("action_id") ?? "", action?.String("value"), action?.String("action_ts"));
    }
}
