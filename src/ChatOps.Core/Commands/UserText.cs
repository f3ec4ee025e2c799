namespace ChatOps.Core.Commands;

/// <summary>How replies quote what the user typed: escaped, shortened, in backticks.</summary>
internal static class UserText
{
    private const int MaxShown = 60;

    /// <summary>A user's word as inline code, safe to echo in chat.</summary>
    public static string Code(string? word) => $"`{Inline(word)}`";

    /// <summary>A user's word shortened and escaped, for use inside a larger code span.</summary>
    public static string Inline(string? word) => TextHygiene.Escape(Shorten(word ?? ""));

    /// <summary><c>&lt;service&gt;</c>, the way usage lines name a parameter.</summary>
    public static string Placeholder(ParameterDefinition parameter) => $"<{parameter.Name}>";

    /// <summary><c>a &lt;service&gt;</c> or <c>an &lt;action&gt;</c>.</summary>
    public static string WithArticle(ParameterDefinition parameter) =>
        $"{Article(parameter.Name)} {Placeholder(parameter)}";

    public static string Article(string word) =>
        word.Length > 0 && "aeiouAEIOU".Contains(word[0], StringComparison.Ordinal) ? "an" : "a";

    /// <summary><c>--max-errors</c> for a parameter named <c>max_errors</c>.</summary>
    public static string FlagName(string parameterName) => "--" + parameterName.Replace('_', '-');

    private static string Shorten(string text)
    {
        if (text.Length <= MaxShown) return text;

        // Never cut a surrogate pair in half.
        var cut = char.IsHighSurrogate(text[MaxShown - 1]) ? MaxShown - 1 : MaxShown;
        return string.Concat(text.AsSpan(0, cut), "…");
    }
}
