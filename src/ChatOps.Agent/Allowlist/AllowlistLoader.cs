using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using ChatOps.Core.Events;

namespace ChatOps.Agent.Allowlist;

/// <summary>
/// Reads an allowlist file and checks all of it before anything runs: a typo must stop the agent
/// at start with a line naming the action and field, not surface as a refusal at 3 a.m.
/// </summary>
internal static partial class AllowlistLoader
{
    public const int DefaultTimeoutSeconds = 300;
    public const int MaxTimeoutSeconds = 24 * 60 * 60;
    private const int MaxParameterLength = 64 * 1024;

    private static readonly JsonSerializerOptions Options = new(ChatOpsJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static AgentAllowlist Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new AllowlistException([$"allowlist {path}: cannot be read: {e.Message}"]);
        }

        return Parse(json, path, Environment.GetEnvironmentVariable("PATH"));
    }

    /// <summary>Parses allowlist JSON; <paramref name="source"/> names it in error lines.</summary>
    public static AgentAllowlist Parse(string json, string source, string? searchPath)
    {
        AllowlistFile? file;
        try
        {
            file = JsonSerializer.Deserialize<AllowlistFile>(json, Options);
        }
        catch (JsonException e)
        {
            throw new AllowlistException([$"allowlist {source}: {OneLine(e.Message)}"]);
        }

        if (file?.Actions is null)
        {
            throw new AllowlistException([$"allowlist {source}: 'actions' is missing (an object of action name to definition)"]);
        }

        var problems = new List<string>();
        var actions = new List<AllowlistAction>();
        foreach (var (name, spec) in file.Actions)
        {
            var report = (string field, string problem) => problems.Add($"allowlist {source}: action '{name}': {field}: {problem}");
            var action = BuildAction(name, spec, searchPath, report);
            if (action is not null)
            {
                actions.Add(action);
            }
        }

        if (problems.Count > 0)
        {
            throw new AllowlistException(problems);
        }

        return new AgentAllowlist(actions);
    }

    private static AllowlistAction? BuildAction(string name, ActionSpec? spec, string? searchPath, Action<string, string> report)
    {
        var problems = new ProblemCounter(report);
        if (!ActionNamePattern().IsMatch(name))
        {
            problems.Report("name", "must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");
        }

        if (spec is null)
        {
            problems.Report("definition", "must be an object");
            return null;
        }

        var timeout = spec.TimeoutSeconds ?? DefaultTimeoutSeconds;
        if (timeout is < 1 or > MaxTimeoutSeconds)
        {
            problems.Report("timeoutSeconds", $"must be between 1 and {MaxTimeoutSeconds}");
        }

        var parameters = new List<ActionParameter>();
        for (var i = 0; i < (spec.Params?.Count ?? 0); i++)
        {
            var parameter = BuildParameter(spec.Params![i], $"params[{i}]", spec.EndOfOptions, isRest: false, problems);
            if (parameter is null)
            {
                continue;
            }

            if (parameters.Any(p => p.Name == parameter.Name))
            {
                problems.Report($"params[{i}].name", $"'{parameter.Name}' is declared twice");
                continue;
            }

            parameters.Add(parameter);
        }

        ActionParameter? rest = null;
        if (spec.Rest is not null)
        {
            rest = BuildParameter(spec.Rest, "rest", spec.EndOfOptions, isRest: true, problems);
            if (rest is not null && parameters.Any(p => p.Name == rest.Name))
            {
                problems.Report("rest.name", $"'{rest.Name}' is also declared in params");
                rest = null;
            }
        }

        // Placeholders are checked against every declared name, valid or not, so one bad parameter
        // is one line rather than a cascade of "unknown placeholder" lines.
        var declared = (spec.Params ?? []).Append(spec.Rest).Select(p => p?.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var (program, template) = BuildTemplate(spec, declared, searchPath, problems);
        if (problems.Count > 0 || program is null)
        {
            return null;
        }

        return new AllowlistAction
        {
            Name = name,
            Description = spec.Description,
            Program = program,
            Template = template,
            Parameters = parameters,
            Rest = rest,
            TimeoutCap = TimeSpan.FromSeconds(timeout),
            EndOfOptions = spec.EndOfOptions,
        };
    }

    private static (string? Program, List<ArgvElement> Template) BuildTemplate(
        ActionSpec spec, HashSet<string> declared, string? searchPath, ProblemCounter problems)
    {
        var template = new List<ArgvElement>();
        if (spec.Argv is not { Count: > 0 })
        {
            problems.Report("argv", "must list the program and then its arguments, e.g. [\"df\", \"-h\"]");
            return (null, template);
        }

        string? program = null;
        var used = new HashSet<string>(StringComparer.Ordinal);
        var first = spec.Argv[0];
        var programPlaceholder = PlaceholderPattern().Match(first ?? "");
        if (string.IsNullOrEmpty(first) || programPlaceholder.Success)
        {
            // Counted as used, so the parameter is not reported a second time as unused.
            used.Add(programPlaceholder.Groups["name"].Value);
            problems.Report("argv[0]", "must name the program (a literal, never a placeholder)");
        }
        else
        {
            program = ProgramResolver.Resolve(first, searchPath, out var error);
            if (program is null)
            {
                problems.Report("argv[0]", error!);
            }
        }

        var seenPlaceholder = false;
        for (var i = 1; i < spec.Argv.Count; i++)
        {
            var element = spec.Argv[i];
            var field = $"argv[{i}]";
            if (element is null)
            {
                problems.Report(field, "must be a string");
                continue;
            }

            var whole = PlaceholderPattern().Match(element);
            if (whole.Success)
            {
                var parameterName = whole.Groups["name"].Value;
                if (!declared.Contains(parameterName))
                {
                    problems.Report(field, $"placeholder {{{parameterName}}} names no declared parameter");
                }
                else if (!used.Add(parameterName))
                {
                    problems.Report(field, $"placeholder {{{parameterName}}} is used twice");
                }

                seenPlaceholder = true;
                template.Add(ArgvElement.ForParameter(parameterName));
                continue;
            }

            if (EmbeddedPlaceholderPattern().IsMatch(element))
            {
                used.UnionWith(EmbeddedPlaceholderPattern().Matches(element).Select(m => m.Value[1..^1]));
                problems.Report(field, "a placeholder must be the whole element, never spliced into other text");
                continue;
            }

            if (TextHygiene.FindProblem(element) is { } hygiene)
            {
                problems.Report(field, hygiene);
                continue;
            }

            if (spec.EndOfOptions && seenPlaceholder && element.StartsWith('-'))
            {
                problems.Report(field, "an option after a placeholder would land after the inserted \"--\" and be read as an operand");
            }

            template.Add(ArgvElement.ForLiteral(element));
        }

        foreach (var name in declared.Where(name => !used.Contains(name)))
        {
            problems.Report("argv", $"parameter '{name}' is declared but has no {{{name}}} placeholder");
        }

        return (program, template);
    }

    private static ActionParameter? BuildParameter(ParameterSpec? spec, string field, bool endOfOptions, bool isRest, ProblemCounter problems)
    {
        if (spec is null)
        {
            problems.Report(field, "must be an object");
            return null;
        }

        var start = problems.Count;
        if (spec.Name is null || !ParameterNamePattern().IsMatch(spec.Name))
        {
            problems.Report($"{field}.name", "must be 1-32 characters of a-z, 0-9 or '_', starting with a letter");
        }

        ParameterType? type = spec.Type switch
        {
            "word" => ParameterType.Word,
            "text" => ParameterType.Text,
            "integer" => ParameterType.Integer,
            "choice" => ParameterType.Choice,
            "path" => ParameterType.Path,
            _ => null,
        };
        if (type is null)
        {
            problems.Report($"{field}.type", spec.Type is null
                ? "is required (word, text, integer, choice or path)"
                : $"'{spec.Type}' is not one of word, text, integer, choice, path");
        }

        if (spec.MaxLength is < 1 or > MaxParameterLength)
        {
            problems.Report($"{field}.maxLength", $"must be between 1 and {MaxParameterLength}");
        }

        if ((spec.Min is not null || spec.Max is not null) && type != ParameterType.Integer)
        {
            problems.Report($"{field}.min", "min and max apply to integer parameters only");
        }

        if (spec.Min > spec.Max)
        {
            problems.Report($"{field}.max", "must not be smaller than min");
        }

        if (type == ParameterType.Choice)
        {
            if (spec.Values is not { Count: > 0 })
            {
                problems.Report($"{field}.values", "a choice parameter needs a non-empty list of values");
            }
            else if (spec.Values.Any(v => string.IsNullOrEmpty(v) || TextHygiene.FindProblem(v) is not null))
            {
                problems.Report($"{field}.values", "values must be non-empty printable strings");
            }
        }
        else if (spec.Values is not null)
        {
            problems.Report($"{field}.values", "values apply to choice parameters only");
        }

        string? root = null;
        if (type == ParameterType.Path)
        {
            if (string.IsNullOrEmpty(spec.Root))
            {
                problems.Report($"{field}.root", "a path parameter needs the absolute folder it is confined to");
            }
            else
            {
                root = PathConfinement.CanonicalRoot(spec.Root);
                if (root is null)
                {
                    problems.Report($"{field}.root", $"'{spec.Root}' is not an existing absolute folder");
                }
            }
        }
        else if (spec.Root is not null)
        {
            problems.Report($"{field}.root", "root applies to path parameters only");
        }

        Regex? pattern = null;
        if (spec.Pattern is not null)
        {
            try
            {
                pattern = ActionParameter.CompilePattern(spec.Pattern);
            }
            catch (ArgumentException e)
            {
                problems.Report($"{field}.pattern", $"is not a valid regular expression: {OneLine(e.Message)}");
            }
        }

        if (isRest && spec.Default is not null)
        {
            problems.Report($"{field}.default", "a rest parameter cannot have a default");
        }

        if (problems.Count > start)
        {
            return null;
        }

        var parameter = new ActionParameter
        {
            Name = spec.Name!,
            Type = type!.Value,
            // A rest parameter may take no values unless it says otherwise.
            Required = spec.Required ?? (!isRest && spec.Default is null),
            Default = spec.Default,
            Pattern = pattern,
            MaxLength = spec.MaxLength ?? ActionParameter.DefaultMaxLength,
            Min = spec.Min,
            Max = spec.Max,
            Values = spec.Values ?? [],
            Root = root,
        };

        if (spec.Default is not null && parameter.Check(spec.Default, endOfOptions).Error is { } defaultError)
        {
            problems.Report($"{field}.default", $"is not a valid value: {defaultError}");
            return null;
        }

        return parameter;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ActionNamePattern();

    [GeneratedRegex(@"\A[a-z][a-z0-9_]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterNamePattern();

    [GeneratedRegex(@"\A\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();

    [GeneratedRegex(@"\{[A-Za-z_][A-Za-z0-9_]*\}", RegexOptions.CultureInvariant)]
    private static partial Regex EmbeddedPlaceholderPattern();

    /// <summary>Counts the problems reported for one action, so the loader knows whether to build it.</summary>
    private sealed class ProblemCounter(Action<string, string> report)
    {
        public int Count { get; private set; }

        public void Report(string field, string problem)
        {
            Count++;
            report(field, problem);
        }
    }
}
