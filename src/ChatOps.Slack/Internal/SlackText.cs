using System.Text;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Slack's message formatting, both ways. Incoming text has <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>
/// escaped and wraps links, channels and mentions in angle brackets; outgoing text must escape the
/// same three characters, or agent output such as <c>&lt;!channel&gt;</c> would ping a whole channel.
/// </summary>
internal static class SlackText
{
    /// <summary>
    /// Turns Slack's markup back into what the user typed: <c>&lt;http://x|x&gt;</c> → <c>x</c>,
    /// <c>&lt;#C1|ops&gt;</c> → <c>#ops</c>, <c>&lt;!here&gt;</c> → <c>@here</c>, entities decoded.
    /// User mentions stay <c>&lt;@U123&gt;</c>: the parser knows them, and they are ids, not names.
    /// </summary>
    public static string Unescape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf('<', i);
            if (open < 0)
            {
                result.Append(text, i, text.Length - i);
                break;
            }

            var close = text.IndexOf('>', open + 1);
            if (close < 0)
            {
                result.Append(text, i, text.Length - i);
                break;
            }

            result.Append(text, i, open - i);
            result.Append(Markup(text[(open + 1)..close]));
            i = close + 1;
        }

        return DecodeEntities(result.ToString());
    }

    /// <summary>Escapes text for any Slack text field (mrkdwn or plain).</summary>
    public static string Escape(string? text) =>
        string.IsNullOrEmpty(text) ? "" : text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Text inside a ``` block: escaped, and a ``` in the text cannot end the block early.</summary>
    public static string CodeBlock(string text) =>
        "```\n" + Escape(text).Replace("```", "`\u200b`\u200b`", StringComparison.Ordinal).TrimEnd('\n') + "\n```";

    /// <summary>Inline code: escaped, backticks neutralised so the span cannot be broken out of.</summary>
    public static string Code(string text) =>
        "`" + Escape(text).Replace('`', '\'') + "`";

    /// <summary>Cuts text to at most <paramref name="max"/> characters, never inside a surrogate pair.</summary>
    public static string Truncate(string text, int max, string marker = "…")
    {
        if (text.Length <= max) return text;
        var cut = Math.Max(0, max - marker.Length);
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut] + marker;
    }

    private static string Markup(string inner)
    {
        if (inner.StartsWith('@')) return "<" + inner + ">"; // a user mention: kept for the parser
        var bar = inner.IndexOf('|', StringComparison.Ordinal);
        var target = bar >= 0 ? inner[..bar] : inner;
        var label = bar >= 0 ? inner[(bar + 1)..] : null;
        if (target.StartsWith('#')) return "#" + (label ?? target[1..]);
        if (target.StartsWith('!'))
        {
            if (label is not null) return label;
            var special = target[1..];
            var caret = special.IndexOf('^', StringComparison.Ordinal);
            return "@" + (caret >= 0 ? special[..caret] : special);
        }

        if (label is not null) return label;
        return target.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? target["mailto:".Length..] : target;
    }

    private static string DecodeEntities(string text) =>
        text.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal);
}
