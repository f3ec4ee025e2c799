using System.Text.Json.Nodes;

namespace ChatOps.Teams.Internal;

/// <summary>
/// Who an escalation notifies, as Teams shows it. A Teams user id (<c>29:…</c>, <c>8:orgid:…</c>) or an
/// AAD object id becomes a real mention: <c>&lt;at&gt;…&lt;/at&gt;</c> in the text and a mention entity
/// whose text matches it exactly (Teams ignores a mention otherwise). Anything else (an on-call group
/// name such as <c>@oncall-web</c>) cannot be resolved to an id here and is shown in bold.
/// </summary>
internal static class TeamsMentions
{
    public static (string Text, JsonObject? Entity) Render(string text, string? mention)
    {
        if (string.IsNullOrWhiteSpace(mention)) return (text, null);
        mention = mention.Trim();
        if (!IsTeamsUser(mention))
        {
            var bold = $"**{mention}**";
            return (text.Contains(mention, StringComparison.Ordinal) ? ReplaceFirst(text, mention, bold) : $"{bold} {text}", null);
        }

        var tag = $"<at>{mention}</at>";
        var entity = new JsonObject
        {
            ["type"] = "mention",
            ["text"] = tag,
            ["mentioned"] = new JsonObject { ["id"] = mention, ["name"] = mention },
        };
        return (text.Contains(mention, StringComparison.Ordinal) ? ReplaceFirst(text, mention, tag) : $"{tag} {text}", entity);
    }

    private static bool IsTeamsUser(string mention) =>
        mention.Length <= 200 && !mention.Any(char.IsWhiteSpace) && !mention.Contains('<') && !mention.Contains('>')
        && (mention.StartsWith("29:", StringComparison.Ordinal) || mention.StartsWith("8:orgid:", StringComparison.Ordinal) || Guid.TryParse(mention, out _));

    private static string ReplaceFirst(string text, string what, string with)
    {
        var at = text.IndexOf(what, StringComparison.Ordinal);
        return text[..at] + with + text[(at + what.Length)..];
    }
}
