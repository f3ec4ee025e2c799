using System.Text.RegularExpressions;

namespace ChatOps.Slack.Internal;

/// <summary>
/// An escalation's mention (from a rule's <c>escalation.mention</c>) as Slack markup. Slack only pings
/// by id: <c>U…</c> / <c>W…</c> users become <c>&lt;@U…&gt;</c>, <c>S…</c> user groups
/// <c>&lt;!subteam^S…&gt;</c>, and <c>@here</c> / <c>@channel</c> / <c>@everyone</c> the special
/// mentions. Markup already in that form is kept; anything else (a handle such as <c>@oncall-web</c>,
/// which Slack cannot resolve for an app) stays visible text, escaped, so it can never inject markup.
/// </summary>
internal static partial class SlackMentions
{
    public static string? Render(string? mention)
    {
        if (string.IsNullOrWhiteSpace(mention)) return null;
        var text = mention.Trim();
        if (Markup().IsMatch(text)) return text;
        var bare = text.TrimStart('@');
        if (SlackIds.IsUserId(bare)) return $"<@{bare}>";
        if (UserGroup().IsMatch(bare)) return $"<!subteam^{bare}>";
        return bare.ToLowerInvariant() switch
        {
            "here" => "<!here>",
            "channel" => "<!channel>",
            "everyone" => "<!everyone>",
            _ => SlackText.Escape(text),
        };
    }

    [GeneratedRegex(@"^<(@[UW][A-Z0-9]{2,31}|!subteam\^S[A-Z0-9]{2,31}|!here|!channel|!everyone)>$", RegexOptions.CultureInvariant)]
    private static partial Regex Markup();

    [GeneratedRegex(@"^S[A-Z0-9]{2,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex UserGroup();
}
