namespace ChatOps.Core.Domain;

/// <summary>The lifecycle of one command on one server.</summary>
public enum CommandState
{
    Queued,
    AwaitingApproval,
    Dispatched,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
    Rejected,
}

public static class CommandStates
{
    public static readonly IReadOnlyList<CommandState> Terminal =
        [CommandState.Succeeded, CommandState.Failed, CommandState.TimedOut, CommandState.Cancelled, CommandState.Rejected];

    public static readonly IReadOnlyList<CommandState> Active =
        [CommandState.Queued, CommandState.AwaitingApproval, CommandState.Dispatched, CommandState.Running];

    public static bool IsTerminal(this CommandState state) => Terminal.Contains(state);
}
