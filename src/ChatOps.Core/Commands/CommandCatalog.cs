namespace ChatOps.Core.Commands;

/// <summary>
/// A catalog built from definitions as data (the built-ins plus whatever admins load). The
/// constructor checks every definition and reports all problems at once in one
/// <see cref="ArgumentException"/>, so a bad catalog fails at start-up, not in a chat reply.
/// </summary>
public sealed class CommandCatalog : ICommandCatalog
{
    private readonly Dictionary<string, CommandDefinition> byName;

    public CommandCatalog(IEnumerable<CommandDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var list = definitions.ToList();
        var problems = new List<string>();
        byName = new Dictionary<string, CommandDefinition>(StringComparer.Ordinal);
        foreach (var definition in list)
        {
            if (definition is null)
            {
                problems.Add("a definition is null");
                continue;
            }

            problems.AddRange(CommandDefinitionRules.Check(definition).Select(problem => $"command \"{definition.Name}\": {problem}"));
            if (definition.Name is not null && !byName.TryAdd(definition.Name, definition))
            {
                problems.Add($"command \"{definition.Name}\" is defined twice");
            }
        }

        All = byName.Values.OrderBy(definition => definition.Name, StringComparer.Ordinal).ToList();
        if (problems.Count == 0) problems.AddRange(CheckExamples());
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid command catalog:\n- " + string.Join("\n- ", problems), nameof(definitions));
        }
    }

    public IReadOnlyList<CommandDefinition> All { get; }

    public CommandDefinition? Find(string name) =>
        name is not null && byName.TryGetValue(name.ToLowerInvariant(), out var definition) ? definition : null;

    // Examples are shown in help; each must parse as its own command, or help would teach errors.
    private IEnumerable<string> CheckExamples()
    {
        var parser = new CommandParser(this);
        foreach (var definition in All)
        {
            foreach (var example in definition.Examples)
            {
                var result = parser.Parse(example);
                if (result is ParseFailure failure)
                {
                    yield return $"command \"{definition.Name}\": example \"{example}\" does not parse: {failure.Error}";
                }
                else if (result is ParseSuccess success && success.Command.Definition.Name != definition.Name)
                {
                    yield return $"command \"{definition.Name}\": example \"{example}\" parses as \"{success.Command.Definition.Name}\"";
                }
            }
        }
    }
}
