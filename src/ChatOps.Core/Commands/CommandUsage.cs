using System.Text;

namespace ChatOps.Core.Commands;

/// <summary>
/// Usage lines: <c>restart &lt;target&gt; &lt;service&gt;</c>,
/// <c>run &lt;target&gt; &lt;action&gt; [args...]  (or: run &lt;action&gt; on &lt;target&gt;)</c>.
/// </summary>
public static class CommandUsage
{
    public static string For(CommandDefinition definition)
    {
        var line = new StringBuilder(definition.Name);
        foreach (var parameter in definition.Parameters.Where(parameter => !parameter.FlagOnly))
        {
            line.Append(' ').Append(Positional(parameter));
        }

        foreach (var parameter in definition.Parameters.Where(parameter => parameter.FlagOnly))
        {
            var option = Option(parameter);
            line.Append(' ').Append(parameter.Required ? option : $"[{option}]");
        }

        var formats = definition.Formats
            .Select(format => CommandPattern.TryParse(definition, format, out var pattern, out _) ? Render(definition, pattern) : null)
            .OfType<string>()
            .ToList();
        if (formats.Count > 0) line.Append("  (or: ").Append(string.Join("; ", formats)).Append(')');

        return line.ToString();
    }

    /// <summary><c>--lines N</c>: an option with a hint of the value it takes.</summary>
    public static string Option(ParameterDefinition parameter) => $"{UserText.FlagName(parameter.Name)} {ValueHint(parameter)}";

    /// <summary>
    /// A word as it would have to be typed to come back unchanged: quoted (with <c>\"</c> and
    /// <c>\\</c> escapes) when it holds spaces, quotes or backslashes, or is empty.
    /// </summary>
    public static string QuoteWord(string word)
    {
        var needsQuotes = word.Length == 0 || word.Any(c => c is ' ' or '\t' or '"' or '\'' or '\\' or '\u201C' or '\u201D');
        if (!needsQuotes) return word;

        var quoted = new StringBuilder("\"");
        foreach (var c in word)
        {
            if (c is '"' or '\\' or '\u201C' or '\u201D') quoted.Append('\\');
            quoted.Append(c);
        }

        return quoted.Append('"').ToString();
    }

    private static string ValueHint(ParameterDefinition parameter) => parameter.Type switch
    {
        ParameterType.Integer => "N",
        ParameterType.Duration => "DURATION",
        ParameterType.Choice when parameter.AllowedValues is { Count: > 0 } allowed => string.Join('|', allowed),
        _ => parameter.Name.ToUpperInvariant(),
    };

    private static string Positional(ParameterDefinition parameter)
    {
        if (parameter.Rest && parameter.Type == ParameterType.Action)
        {
            var action = $"<{parameter.Name}> [args...]";
            return parameter.Required ? action : $"[{action}]";
        }

        var name = parameter.Rest ? $"{parameter.Name}..." : parameter.Name;
        return parameter.Required ? $"<{name}>" : $"[{name}]";
    }

    private static string Render(CommandDefinition definition, CommandPattern pattern)
    {
        var words = new List<string> { definition.Name };
        foreach (var element in pattern.Elements)
        {
            words.Add(element.Literal ?? (element.Parameter!.Required ? $"<{element.Parameter.Name}>" : $"[{element.Parameter.Name}]"));
        }

        return string.Join(' ', words);
    }
}
