namespace ChatOps.Core.Commands;

/// <summary>
/// The optional first word that addresses the bot: <c>/chatops</c>, <c>chatops</c>,
/// <c>@chatops</c>, a Slack mention (<c>&lt;@U123ABC&gt;</c>, <c>&lt;@U123|name&gt;</c>) or a
/// configured bot name, each optionally followed by <c>:</c> or <c>,</c>.
/// </summary>
internal static class CommandPrefix
{
    private const string ProductName = "chatops";

    public static IReadOnlyList<CommandWord> Strip(IReadOnlyList<CommandWord> words, CommandParserOptions options) =>
        words.Count > 0 && IsPrefix(words[0], options) ? words.Skip(1).ToList() : words;

    private static bool IsPrefix(CommandWord word, CommandParserOptions options)
    {
        if (word.Quoted || word.AfterEndOfOptions) return false;

        var text = word.Text.TrimEnd(':', ',');
        if (IsSlackMention(text, options)) return true;

        var name = text.TrimStart('/', '@');
        // Only one leading '/' or '@' is allowed: "//chatops" is not a way to address the bot.
        if (text.Length - name.Length > 1) return false;

        return string.Equals(name, ProductName, StringComparison.OrdinalIgnoreCase)
            || (options.BotNames ?? []).Any(bot => bot is not null && bot.Trim().TrimStart('/', '@').Length > 0
                && string.Equals(name, bot.Trim().TrimStart('/', '@'), StringComparison.OrdinalIgnoreCase));
    }

    // <@U123ABC> or <@U123ABC|name>
    private static bool IsSlackMention(string text, CommandParserOptions options)
    {
        if (!text.StartsWith("<@", StringComparison.Ordinal) || !text.EndsWith('>') || text.Length < 4) return false;

        var inner = text[2..^1];
        var bar = inner.IndexOf('|', StringComparison.Ordinal);
        var userId = bar >= 0 ? inner[..bar] : inner;
        if (userId.Length == 0 || !userId.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c))) return false;

        var botIds = options.BotUserIds ?? [];
        return botIds.Count == 0 || botIds.Any(id => string.Equals(id, userId, StringComparison.Ordinal));
    }
}
