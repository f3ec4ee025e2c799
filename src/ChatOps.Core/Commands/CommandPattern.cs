using System.Diagnostics.CodeAnalysis;

namespace ChatOps.Core.Commands;

/// <summary>
/// One accepted word order of a command: the canonical order of its positional parameters, or a
/// format such as <c>run {action} on {target}</c> (words in braces are parameters, the others
/// literal keywords matched case-insensitively).
/// </summary>
internal sealed class CommandPattern
{
    private CommandPattern(IReadOnlyList<Element> elements) => Elements = elements;

    /// <summary>A literal keyword or a parameter slot.</summary>
    public readonly record struct Element(string? Literal, ParameterDefinition? Parameter);

    public IReadOnlyList<Element> Elements { get; }

    public bool HasLiterals => Elements.Any(element => element.Literal is not null);

    public IEnumerable<ParameterDefinition> Parameters =>
        Elements.Where(element => element.Parameter is not null).Select(element => element.Parameter!);

    /// <summary>The positional parameters in declared order, leaving out those already given as options.</summary>
    public static CommandPattern Canonical(CommandDefinition definition, IReadOnlySet<string> givenAsOptions) =>
        new(definition.Parameters
            .Where(parameter => !parameter.FlagOnly && !givenAsOptions.Contains(parameter.Name))
            .Select(parameter => new Element(null, parameter))
            .ToList());

    /// <summary>Reads a format; its first word is the command's name.</summary>
    public static bool TryParse(CommandDefinition definition, string format, [NotNullWhen(true)] out CommandPattern? pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        var words = (format ?? "").Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !string.Equals(words[0], definition.Name, StringComparison.OrdinalIgnoreCase))
        {
            error = $"format \"{format}\" must start with the command name \"{definition.Name}\"";
            return false;
        }

        var elements = new List<Element>();
        foreach (var word in words.Skip(1))
        {
            if (word.Length > 2 && word[0] == '{' && word[^1] == '}')
            {
                var name = word[1..^1];
                var parameter = definition.Parameters.FirstOrDefault(candidate => candidate.Name == name);
                if (parameter is null)
                {
                    error = $"format \"{format}\" names unknown parameter {{{name}}}";
                    return false;
                }

                if (parameter.FlagOnly)
                {
                    error = $"format \"{format}\" places {{{name}}}, which is only an option (FlagOnly)";
                    return false;
                }

                if (elements.Any(element => element.Parameter?.Name == name))
                {
                    error = $"format \"{format}\" names {{{name}}} twice";
                    return false;
                }

                elements.Add(new Element(null, parameter));
            }
            else if (ParameterValidator.IsWord(word) && word.IndexOfAny(['{', '}']) < 0)
            {
                elements.Add(new Element(word, null));
            }
            else
            {
                error = $"format \"{format}\" has \"{word}\", which is neither {{parameter}} nor a plain keyword";
                return false;
            }
        }

        pattern = new CommandPattern(elements);
        error = null;
        return true;
    }

    /// <summary>
    /// Lays the words onto this pattern. A Rest parameter placed last takes every remaining word;
    /// placed earlier it takes one word, and words left over at the end are appended to it
    /// (so <c>run uptime on web-1 -- -x</c> gives uptime the argument <c>-x</c>).
    /// </summary>
    public Match Apply(IReadOnlyList<CommandWord> words)
    {
        var assigned = new Dictionary<string, List<CommandWord>>(StringComparer.Ordinal);
        ParameterDefinition? missing = null;
        var next = 0;
        for (var e = 0; e < Elements.Count; e++)
        {
            var element = Elements[e];
            if (element.Literal is { } literal)
            {
                if (next < words.Count && IsKeyword(words[next], literal))
                {
                    next++;
                    continue;
                }

                return Match.NoMatch;
            }

            var parameter = element.Parameter!;
            if (next >= words.Count)
            {
                if (parameter.Required) missing ??= parameter;
                continue;
            }

            if (parameter.Rest && e == Elements.Count - 1)
            {
                assigned[parameter.Name] = words.Skip(next).ToList();
                next = words.Count;
            }
            else if (parameter.Rest && Elements[e + 1].Literal is { } keyword && LastKeyword(words, next + 1, keyword) is var end and > 0)
            {
                // "run echo hello world on web-1": the action and its arguments run up to the last "on".
                assigned[parameter.Name] = words.Skip(next).Take(end - next).ToList();
                next = end;
            }
            else
            {
                assigned[parameter.Name] = [words[next++]];
            }
        }

        var leftover = words.Skip(next).ToList();
        var rest = Parameters.FirstOrDefault(parameter => parameter.Rest && assigned.ContainsKey(parameter.Name));
        if (leftover.Count > 0 && rest is not null)
        {
            assigned[rest.Name].AddRange(leftover);
            leftover.Clear();
        }

        return new Match(true, assigned, missing, leftover);
    }

    /// <summary>The index of the last unquoted <paramref name="literal"/> at or after <paramref name="from"/>, or -1.</summary>
    private static int LastKeyword(IReadOnlyList<CommandWord> words, int from, string literal)
    {
        for (var i = words.Count - 1; i >= from; i--)
            if (IsKeyword(words[i], literal)) return i;
        return -1;
    }

    // A keyword is typed as is: quoted words and words after "--" are always values.
    private static bool IsKeyword(CommandWord word, string literal) =>
        !word.Quoted && !word.AfterEndOfOptions && string.Equals(word.Text, literal, StringComparison.OrdinalIgnoreCase);

    /// <summary>How the words fell onto a pattern.</summary>
    /// <param name="Fits">Every keyword of the pattern was found where it belongs.</param>
    /// <param name="Assigned">Words per parameter name.</param>
    /// <param name="Missing">The first required parameter no word was left for.</param>
    /// <param name="Leftover">Words no parameter took.</param>
    public sealed record Match(
        bool Fits,
        IReadOnlyDictionary<string, List<CommandWord>> Assigned,
        ParameterDefinition? Missing,
        IReadOnlyList<CommandWord> Leftover)
    {
        public static Match NoMatch { get; } = new(false, new Dictionary<string, List<CommandWord>>(), null, []);

        public bool IsComplete => Fits && Missing is null && Leftover.Count == 0;
    }
}
