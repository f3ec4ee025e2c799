namespace ChatOps.Agent.Allowlist;

/// <summary>An allowlist file that cannot be used; each problem is one line naming the action and field.</summary>
internal sealed class AllowlistException(IReadOnlyList<string> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
