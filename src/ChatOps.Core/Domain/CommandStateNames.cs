namespace ChatOps.Core.Domain;

/// <summary>The snake_case names of states as the API and the store show them (<c>awaiting_approval</c>).</summary>
public static class CommandStateNames
{
    public static string Of(CommandState state) => state switch
    {
        CommandState.AwaitingApproval => "awaiting_approval",
        CommandState.TimedOut => "timed_out",
        _ => state.ToString().ToLowerInvariant(),
    };
}
