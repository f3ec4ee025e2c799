namespace ChatOps.Slack.Internal;

/// <summary>
/// The fields of a slash command that we use. <c>user_name</c> is deliberately absent: it is
/// deprecated and a name, never an identity.
/// </summary>
internal sealed record SlashCommand(string TeamId, string UserId, string ChannelId, string Command, string Text, string? ResponseUrl, string? TriggerId)
{
    /// <summary>Reads the fields from a form (HTTP) or a JSON payload (Socket Mode); null with a reason when unusable.</summary>
    public static SlashCommand? From(Func<string, string?> field, out string? error)
    {
        var team = field("team_id");
        var user = field("user_id");
        var channel = field("channel_id");
        if (!SlackIds.IsTeamId(team)) error = "team_id is missing or malformed";
        else if (!SlackIds.IsUserId(user)) error = "user_id is missing or malformed";
        else if (!SlackIds.IsChannelId(channel)) error = "channel_id is missing or malformed";
        else if (field("text") is { Length: > 40_000 }) error = "text is longer than Slack allows";
        else error = null;
        if (error is not null) return null;

        return new SlashCommand(team!, user!, channel!, field("command") ?? "/chatops", field("text") ?? "", field("response_url"), field("trigger_id"));
    }
}
