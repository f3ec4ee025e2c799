using ChatOps.Core.Domain;

namespace ChatOps.Core.Commands;

/// <summary>What makes a <see cref="CommandDefinition"/> usable; each broken rule is one sentence.</summary>
internal static class CommandDefinitionRules
{
    public static IEnumerable<string> Check(CommandDefinition definition)
    {
        if (definition.Name is null || !IsLowercaseName(definition.Name, allowUnderscore: false))
        {
            yield return "the name must be lowercase ASCII letters, digits and '-', starting with a letter";
            yield break;
        }

        if (string.IsNullOrWhiteSpace(definition.Summary)) yield return "the summary is empty";
        if (definition.Parameters is null || definition.Formats is null || definition.AllowedRoles is null || definition.Examples is null)
        {
            yield return "Parameters, Formats, AllowedRoles and Examples may be empty but not null";
            yield break;
        }

        if (definition.AllowedRoles.Count == 0) yield return "AllowedRoles is empty, so nobody could run it";
        foreach (var role in definition.AllowedRoles.Where(role => !Roles.All.Contains(role)))
        {
            yield return $"unknown role \"{role}\" (known: {string.Join(", ", Roles.All)})";
        }

        if (definition.Timeout <= TimeSpan.Zero) yield return "the timeout must be positive";

        var hasActionParameter = definition.Parameters.Any(parameter => parameter.Type == ParameterType.Action);
        if (definition.Kind == CommandKind.Agent && definition.AgentAction is null && !hasActionParameter)
        {
            yield return "an Agent command needs an AgentAction or an Action parameter";
        }

        if (definition.Kind == CommandKind.BuiltIn && definition.AgentAction is not null)
        {
            yield return "a BuiltIn command has no AgentAction";
        }

        foreach (var problem in CheckParameters(definition)) yield return problem;

        foreach (var format in definition.Formats)
        {
            if (!CommandPattern.TryParse(definition, format, out var pattern, out var error))
            {
                yield return error;
                continue;
            }

            foreach (var missing in definition.Parameters.Where(parameter => parameter.Required && !parameter.FlagOnly && !pattern.Parameters.Contains(parameter)))
            {
                yield return $"format \"{format}\" leaves out required parameter {{{missing.Name}}}";
            }
        }
    }

    private static IEnumerable<string> CheckParameters(CommandDefinition definition)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var positional = definition.Parameters.Where(parameter => !parameter.FlagOnly).ToList();
        foreach (var parameter in definition.Parameters)
        {
            var name = parameter.Name ?? "";
            if (!IsLowercaseName(name, allowUnderscore: true))
            {
                yield return $"parameter \"{name}\": the name must be lowercase ASCII letters, digits, '_' and '-', starting with a letter";
                continue;
            }

            // "--max_errors" and "--max-errors" are the same option.
            if (!seen.Add(name.Replace('_', '-'))) yield return $"parameter \"{name}\" is defined twice";
            if (GlobalOptions.All.Contains(name.Replace('_', '-'))) yield return $"parameter \"{name}\" would hide the global option --{name.Replace('_', '-')}";

            if (parameter.Rest && parameter.FlagOnly) yield return $"parameter \"{name}\" can't be both Rest and FlagOnly";
            if (parameter.Rest && parameter.Type is not (ParameterType.Action or ParameterType.Text))
            {
                yield return $"parameter \"{name}\" is Rest, so it must be of type Action or Text";
            }

            if (parameter.MaxLength < 1) yield return $"parameter \"{name}\": MaxLength must be at least 1";
            if (parameter.Min is { } min && parameter.Max is { } max && min > max) yield return $"parameter \"{name}\": Min is above Max";
            if (parameter.Type == ParameterType.Choice && (parameter.AllowedValues is null || parameter.AllowedValues.Count == 0))
            {
                yield return $"parameter \"{name}\" is a Choice without AllowedValues";
            }

            if (parameter.Default is not null)
            {
                if (parameter.Required) yield return $"parameter \"{name}\" is required, so its default would never be used";
                else if (!ParameterValidator.TryValidate(parameter, parameter.Default, out _, out var error, out _))
                {
                    yield return $"parameter \"{name}\": default \"{parameter.Default}\" is invalid: {error}";
                }
            }
        }

        for (var i = 0; i < positional.Count; i++)
        {
            if (positional[i].Rest && i != positional.Count - 1)
            {
                yield return $"parameter \"{positional[i].Name}\" is Rest but not the last positional parameter";
            }

            if (i > 0 && positional[i].Required && !positional[i - 1].Required)
            {
                yield return $"required parameter \"{positional[i].Name}\" follows optional \"{positional[i - 1].Name}\"";
            }
        }
    }

    private static bool IsLowercaseName(string name, bool allowUnderscore) =>
        name.Length > 0
        && char.IsAsciiLetterLower(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' || (allowUnderscore && c == '_'));
}
