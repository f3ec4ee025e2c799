using System.Globalization;
using System.Text;

namespace ChatOps.Agent.Allowlist;

/// <summary>Human-readable lines for --check-allowlist.</summary>
internal static class AllowlistDescription
{
    public static string Describe(AllowlistAction action)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"  {action.Name}: {action.Program}");
        var dashesShown = false;
        foreach (var element in action.Template)
        {
            if (element.Literal is not null)
            {
                line.Append(CultureInfo.InvariantCulture, $" {element.Literal}");
                continue;
            }

            if (action.EndOfOptions && !dashesShown)
            {
                line.Append(" --");
                dashesShown = true;
            }

            line.Append(action.Rest?.Name == element.Parameter ? $" {{{element.Parameter}...}}" : $" {{{element.Parameter}}}");
        }

        line.Append(CultureInfo.InvariantCulture, $"  (timeout {action.TimeoutCap.TotalSeconds:0} s)");
        foreach (var parameter in action.Rest is null ? action.Parameters : action.Parameters.Append(action.Rest))
        {
            line.Append(CultureInfo.InvariantCulture, $"{Environment.NewLine}      {parameter.Name}: {Describe(parameter)}");
        }

        return line.ToString();
    }

    private static string Describe(ActionParameter parameter)
    {
        var parts = new List<string> { parameter.Type.ToString().ToLowerInvariant(), parameter.Required ? "required" : "optional" };
        if (parameter.Default is not null)
        {
            parts.Add($"default '{parameter.Default}'");
        }

        if (parameter.Type == ParameterType.Choice)
        {
            parts.Add($"one of {string.Join("|", parameter.Values)}");
        }

        if (parameter.Min is not null || parameter.Max is not null)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{parameter.Min?.ToString(CultureInfo.InvariantCulture) ?? "…"}..{parameter.Max?.ToString(CultureInfo.InvariantCulture) ?? "…"}"));
        }

        if (parameter.Root is not null)
        {
            parts.Add($"under {parameter.Root}");
        }

        if (parameter.Pattern is not null)
        {
            parts.Add($"matching {parameter.Pattern}");
        }

        parts.Add($"at most {parameter.MaxLength} chars");
        return string.Join(", ", parts);
    }
}
