using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ChatOps.Teams.Internal;

/// <summary>Text in and out of Teams: mentions and HTML stripped from commands, output as code blocks.</summary>
internal static partial class TeamsText
{
    /// <summary>The longest command text accepted (commands are short; Slack's own cap is 40,000).</summary>
    public const int MaxCommandLength = 4000;

    private const string Fence = "```";

    /// <summary>
    /// The command a message holds: the bot's <c>&lt;at&gt;…&lt;/at&gt;</c> mention removed, Teams'
    /// formatting tags dropped and HTML entities decoded, so <c>&lt;at&gt;ChatOps&lt;/at&gt; restart&amp;nbsp;web-3</c>
    /// reads <c>restart web-3</c>.
    /// </summary>
    public static string CommandText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var plain = MentionPattern().Replace(text, " ");
        plain = LineBreakPattern().Replace(plain, "\n");
        plain = FormattingTagPattern().Replace(plain, "");
        plain = WebUtility.HtmlDecode(plain).Replace('\u00a0', ' ');
        return plain.Trim();
    }

    /// <summary>Command output as a code block, with any fence inside it broken so it cannot end the block early.</summary>
    public static string CodeBlock(string output, string? heading = null)
    {
        var body = output.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Replace(Fence, "`\u200b``", StringComparison.Ordinal);
        var text = new StringBuilder();
        if (heading is not null) text.Append(heading).Append('\n');
        return text.Append(Fence).Append('\n').Append(body).Append('\n').Append(Fence).ToString();
    }

    /// <summary>Cuts text into pieces of at most <paramref name="max"/> characters, at line ends where possible.</summary>
    public static IEnumerable<string> Split(string text, int max)
    {
        var start = 0;
        while (text.Length - start > max)
        {
            var cut = text.LastIndexOf('\n', start + max - 1, max);
            var end = cut > start ? cut + 1 : start + max;
            // Never split a surrogate pair.
            if (char.IsHighSurrogate(text[end - 1])) end--;
            yield return text[start..end];
            start = end;
        }

        if (start < text.Length) yield return text[start..];
    }

    [GeneratedRegex(@"<at\b[^>]*>.*?</at>", RegexOptions.IgnoreCase | RegexOptions.Singleline, matchTimeoutMilliseconds: 200)]
    private static partial Regex MentionPattern();

    [GeneratedRegex(@"<br\s*/?>|</p>|</div>", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 200)]
    private static partial Regex LineBreakPattern();

    [GeneratedRegex(@"</?(?:p|div|span|b|i|u|s|strong|em|code|pre)(?:\s[^>]*)?>", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 200)]
    private static partial Regex FormattingTagPattern();
}
