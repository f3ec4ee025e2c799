namespace ChatOps.Core.Commands;

/// <summary>
/// Options every command with a target accepts, for fan-out over several servers; they land
/// in <see cref="ParsedCommand.Options"/> under these names, as whole numbers of at least 1.
/// </summary>
public static class GlobalOptions
{
    /// <summary>How many servers run the command at the same time.</summary>
    public const string MaxConcurrency = "max-concurrency";

    /// <summary>After this many failed servers, the remaining ones are not started.</summary>
    public const string MaxErrors = "max-errors";

    public static IReadOnlyList<string> All { get; } = [MaxConcurrency, MaxErrors];

    /// <summary>Whether <paramref name="definition"/> takes the global options (it has a target parameter).</summary>
    public static bool AppliesTo(CommandDefinition definition) =>
        definition.Parameters.Any(parameter => parameter.Type == ParameterType.Target);
}
