using System.Text.Json;

namespace ChatOps.Slack.Internal;

/// <summary>The fields of an Events API <c>event_callback</c> that we use, copied out of the JSON document.</summary>
internal sealed record SlackEvent(
    string EventId,
    string TeamId,
    string Type,
    string? ChannelType,
    string? User,
    string? BotId,
    string? Subtype,
    string? Text,
    string? Ts,
    string? ThreadTs,
    string? Channel,
    IReadOnlyList<string> BotUserIds)
{
    public static SlackEvent? From(JsonElement envelope, out string? error)
    {
        error = null;
        var eventId = envelope.String("event_id");
        var team = envelope.String("team_id");
        if (envelope.Object("event") is not { } inner || eventId is not { Length: > 0 and <= 64 } || !SlackIds.IsTeamId(team))
        {
            error = "event_callback without event, event_id or team_id";
            return null;
        }

        // The bot's own user id: who our app is in this workspace, so its own messages are ignored.
        var bots = new List<string>();
        if (envelope.TryGetProperty("authorizations", out var authorizations) && authorizations.ValueKind == JsonValueKind.Array)
        {
            foreach (var authorization in authorizations.EnumerateArray())
            {
                if (authorization.Bool("is_bot") && authorization.String("user_id") is { } bot) bots.Add(bot);
            }
        }

        return new SlackEvent(eventId, team!, inner.String("type") ?? "", inner.String("channel_type"), inner.String("user"),
            inner.String("bot_id"), inner.String("subtype"), inner.String("text"), inner.String("ts"), inner.String("thread_ts"),
            inner.String("channel"), bots);
    }
}
