using System.Globalization;

namespace ChatOps.Core.Commands;

/// <summary>
/// Binds the words and options after a command's name to its parameters: options first, then
/// the word orders (formats whose keywords are present, the canonical order, plain formats),
/// then validation of every value and defaults.
/// </summary>
internal sealed class CommandBinder
{
    private readonly CommandDefinition definition;
    private readonly string usage;
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> options = new(StringComparer.Ordinal);
    private readonly HashSet<string> givenAsOptions = new(StringComparer.Ordinal);

    public CommandBinder(CommandDefinition definition)
    {
        this.definition = definition;
        usage = CommandUsage.For(definition);
    }

    public ParseResult Bind(IReadOnlyList<CommandWord> words, IReadOnlyList<CommandFlag> flags)
    {
        foreach (var flag in flags)
        {
            var failure = BindOption(flag);
            if (failure is not null) return failure;
        }

        var patterns = definition.Formats
            .Select(format => CommandPattern.TryParse(definition, format, out var pattern, out _) ? pattern : null)
            .OfType<CommandPattern>()
            .Where(pattern => !pattern.Parameters.Any(parameter => givenAsOptions.Contains(parameter.Name)))
            .ToList();

        // A format whose keywords are all where they belong is what the user typed, even when
        // the canonical order would also fit the words ("run uptime on web-1").
        foreach (var pattern in patterns.Where(pattern => pattern.HasLiterals))
        {
            var match = pattern.Apply(words);
            if (match.Fits) return Complete(match);
        }

        var canonical = Complete(CommandPattern.Canonical(definition, givenAsOptions).Apply(words));
        if (canonical is ParseSuccess) return canonical;

        foreach (var pattern in patterns.Where(pattern => !pattern.HasLiterals))
        {
            var match = pattern.Apply(words);
            if (match.IsComplete && Complete(match) is ParseSuccess success) return success;
        }

        return canonical;
    }

    private ParseFailure? BindOption(CommandFlag flag)
    {
        var shown = UserText.Code("--" + flag.Name);
        if (!TextHygiene.IsAsciiName(flag.Name, out var problem, out var skeleton))
        {
            var guess = skeleton is null ? null : FindOptionParameter(skeleton)?.Name ?? GlobalOptions.All.FirstOrDefault(name => name == Key(skeleton));
            return Fail($"Unknown option: {problem}. {OptionList()}", guess is null ? null : UserText.FlagName(guess));
        }

        var parameter = FindOptionParameter(flag.Name);
        if (parameter is not null)
        {
            if (!givenAsOptions.Add(parameter.Name)) return Fail($"{shown} is given twice.");
            if (flag.Value is null) return Fail($"{shown} needs a value.");
            if (!ParameterValidator.TryValidate(parameter, flag.Value, out var value, out var error, out var suggestion)) return Fail(error, suggestion);

            values[parameter.Name] = value;
            return null;
        }

        var key = Key(flag.Name);
        if (GlobalOptions.AppliesTo(definition) && GlobalOptions.All.Contains(key))
        {
            if (options.ContainsKey(key)) return Fail($"{shown} is given twice.");
            if (!long.TryParse(flag.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || number > int.MaxValue)
            {
                return Fail($"{shown} must be a whole number of at least 1, got {UserText.Code(flag.Value)}.");
            }

            options[key] = number.ToString(CultureInfo.InvariantCulture);
            return null;
        }

        var known = definition.Parameters.Where(candidate => !candidate.Rest).Select(candidate => UserText.FlagName(candidate.Name))
            .Concat(GlobalOptions.AppliesTo(definition) ? GlobalOptions.All.Select(UserText.FlagName) : []);
        var hint = TakesFreeArguments
            ? $" To pass {shown} to the action as a literal argument, put it after `--`."
            : "";
        return Fail($"Unknown option {shown} for `{definition.Name}`. {OptionList()}{hint}", DidYouMean.Closest("--" + flag.Name, known));
    }

    private ParseResult Complete(CommandPattern.Match match)
    {
        if (match.Missing is { } missing) return Fail($"`{definition.Name}` needs {UserText.WithArticle(missing)}.");
        if (match.Leftover.Count > 0)
        {
            var extra = string.Join(", ", match.Leftover.Take(3).Select(word => UserText.Code(word.Text)));
            return Fail($"Too many words for `{definition.Name}`: {extra}{(match.Leftover.Count > 3 ? ", …" : "")}.");
        }

        var bound = new Dictionary<string, string>(values, StringComparer.Ordinal);
        var actionArgs = new List<string>();
        foreach (var parameter in definition.Parameters)
        {
            if (!match.Assigned.TryGetValue(parameter.Name, out var words) || words.Count == 0) continue;

            var failure = parameter.Rest && parameter.Type == ParameterType.Action
                ? BindAction(parameter, words, match, bound, actionArgs)
                : BindValue(parameter, words, bound);
            if (failure is not null) return failure;
        }

        foreach (var parameter in definition.Parameters)
        {
            if (bound.ContainsKey(parameter.Name)) continue;
            if (parameter.Default is not null)
            {
                bound[parameter.Name] = parameter.Default;
            }
            else if (parameter.Required)
            {
                var wanted = parameter.FlagOnly ? $"`{CommandUsage.Option(parameter)}`" : UserText.WithArticle(parameter);
                return Fail($"`{definition.Name}` needs {wanted}.");
            }
        }

        return new ParseSuccess(new ParsedCommand(definition, bound, actionArgs, new Dictionary<string, string>(options, StringComparer.Ordinal)));
    }

    // A plain parameter: one word, or the words of a Text rest joined by single spaces.
    private ParseFailure? BindValue(ParameterDefinition parameter, List<CommandWord> words, Dictionary<string, string> bound)
    {
        var first = words[0];
        if (first.Text.StartsWith('-') && !first.AfterEndOfOptions)
        {
            return Fail($"{UserText.Code(first.Text)} can't be {UserText.WithArticle(parameter)}: values may not start with '-'.");
        }

        var raw = parameter.Rest ? string.Join(' ', words.Select(word => word.Text)) : first.Text;
        if (!ParameterValidator.TryValidate(parameter, raw, out var value, out var error, out var suggestion)) return Fail(error, suggestion);

        bound[parameter.Name] = value;
        return null;
    }

    // The action of "run": its first word names the action, the others are its literal arguments.
    private ParseFailure? BindAction(ParameterDefinition parameter, List<CommandWord> words, CommandPattern.Match match, Dictionary<string, string> bound, List<string> actionArgs)
    {
        var failure = BindValue(parameter, [words[0]], bound);
        if (failure is not null) return failure;

        foreach (var word in words.Skip(1))
        {
            if (word.Text.StartsWith('-') && !word.AfterEndOfOptions)
            {
                return Fail(
                    $"{UserText.Code(word.Text)} looks like an option. To pass it to the action as a literal argument, put it after `--`: `{TextHygiene.Escape(ExampleWithArgsAfterDashes(match))}`.");
            }

            actionArgs.Add(word.Text);
        }

        return null;
    }

    // The user's own command rewritten in canonical order with every action argument after "--".
    private string ExampleWithArgsAfterDashes(CommandPattern.Match match)
    {
        var parts = new List<string> { definition.Name };
        var args = new List<string>();
        foreach (var parameter in definition.Parameters.Where(parameter => !parameter.FlagOnly))
        {
            if (!match.Assigned.TryGetValue(parameter.Name, out var words) || words.Count == 0) continue;

            parts.Add(CommandUsage.QuoteWord(words[0].Text));
            if (parameter.Rest) args.AddRange(words.Skip(1).Select(word => CommandUsage.QuoteWord(word.Text)));
        }

        return string.Join(' ', parts.Append("--").Concat(args));
    }

    private ParameterDefinition? FindOptionParameter(string name) =>
        definition.Parameters.FirstOrDefault(parameter => !parameter.Rest && Key(parameter.Name) == Key(name));

    private bool TakesFreeArguments => definition.Parameters.Any(parameter => parameter.Rest && parameter.Type == ParameterType.Action);

    private string OptionList()
    {
        var listed = definition.Parameters.Where(parameter => parameter.FlagOnly).Select(parameter => $"`{CommandUsage.Option(parameter)}`")
            .Concat(GlobalOptions.AppliesTo(definition) ? GlobalOptions.All.Select(name => $"`--{name} N`") : [])
            .ToList();
        return listed.Count == 0 ? $"`{definition.Name}` takes no options." : $"Options: {string.Join(", ", listed)}.";
    }

    // Option names compare without case, and '_' in a parameter name is typed as '-'.
    private static string Key(string name) => name.ToLowerInvariant().Replace('_', '-');

    private ParseFailure Fail(string error, string? suggestion = null) => new(error, usage, suggestion);
}
