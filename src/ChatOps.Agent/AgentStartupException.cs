namespace ChatOps.Agent;

/// <summary>
/// The agent cannot start: bad options, allowlist or state file. <see cref="Problems"/> holds one
/// line per problem, each naming its key (or allowlist action and field); show them, not a stack trace.
/// </summary>
public sealed class AgentStartupException : Exception
{
    public AgentStartupException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}
