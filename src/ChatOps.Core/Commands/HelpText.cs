using System.Text;

namespace ChatOps.Core.Commands;

/// <summary>Help replies, in the Markdown subset Slack and Teams both render (backticks, bullets).</summary>
public static class HelpText
{
    private const string TargetHint = "Targets: a server id (`web-3`), a glob (`web-*`) or a tag (`role:web`).";

    public static string ForAll(ICommandCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var text = new StringBuilder("Commands:\n");
        foreach (var definition in catalog.All)
        {
            text.Append("• `").Append(definition.Name).Append("` — ").Append(definition.Summary).Append('\n');
        }

        return text.Append("Type `help <command>` for details. ").Append(TargetHint).ToString();
    }

    public static string For(CommandDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var text = new StringBuilder();
        text.Append("Usage: `").Append(CommandUsage.For(definition)).Append("`\n");
        text.Append(definition.Summary).Append('\n');

        foreach (var parameter in definition.Parameters.Where(parameter => parameter.Description is not null))
        {
            var shown = parameter.FlagOnly ? CommandUsage.Option(parameter) : $"<{parameter.Name}>";
            var byDefault = parameter.Default is null ? "" : $" (default {parameter.Default})";
            text.Append("• `").Append(shown).Append("`: ").Append(parameter.Description).Append(byDefault).Append('\n');
        }

        if (GlobalOptions.AppliesTo(definition))
        {
            text.Append("Options for many servers: `--max-concurrency N` (how many at once), `--max-errors N` (stop after N failures).\n");
        }

        if (definition.Risk == Risk.High) text.Append("High risk: a second person must approve it.\n");
        text.Append("Allowed for: ").Append(string.Join(", ", definition.AllowedRoles)).Append('\n');

        if (definition.Examples.Count > 0)
        {
            text.Append("Examples:\n");
            foreach (var example in definition.Examples) text.Append("• `").Append(example).Append("`\n");
        }

        return text.ToString().TrimEnd('\n');
    }
}
