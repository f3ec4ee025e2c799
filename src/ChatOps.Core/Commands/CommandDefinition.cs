namespace ChatOps.Core.Commands;

/// <summary>How risky a command is; <see cref="High"/> needs a second person's approval.</summary>
public enum Risk
{
    Low,
    High,
}

/// <summary>What a lock protects while the command runs.</summary>
public enum LockScope
{
    /// <summary>No lock (read-only built-ins).</summary>
    None,

    /// <summary><c>lock:command:{server_id}</c>: one such command per server at a time.</summary>
    Server,
}

/// <summary>Where a command is carried out.</summary>
public enum CommandKind
{
    /// <summary>Answered by ChatOps itself from its state (help, status, servers, history, whoami, cancel).</summary>
    BuiltIn,

    /// <summary>Dispatched to the target server's agent as <see cref="CommandDefinition.AgentAction"/>.</summary>
    Agent,
}

public enum ParameterType
{
    /// <summary>A word: letters, digits and <c>._-:@/</c>; never starting with <c>-</c>.</summary>
    Word,

    /// <summary>Free text (spaces allowed) that arrives as one argv element; never starting with <c>-</c>.</summary>
    Text,

    Integer,

    /// <summary>One of <see cref="ParameterDefinition.AllowedValues"/>.</summary>
    Choice,

    /// <summary>A target expression: a server id, a glob (<c>web-*</c>) or a tag (<c>role:web</c>).</summary>
    Target,

    /// <summary>The name of an agent action (for <c>run</c>), followed by that action's own arguments.</summary>
    Action,

    /// <summary>A duration such as <c>90s</c>, <c>15m</c>, <c>2h</c>.</summary>
    Duration,
}

/// <summary>A parameter a command takes, positional or as <c>--name value</c>.</summary>
public sealed record ParameterDefinition
{
    public required string Name { get; init; }
    public ParameterType Type { get; init; } = ParameterType.Word;
    public bool Required { get; init; } = true;

    /// <summary>Takes every remaining positional word (only the last positional parameter may).</summary>
    public bool Rest { get; init; }

    /// <summary>Only as <c>--name value</c>, never positional.</summary>
    public bool FlagOnly { get; init; }

    public string? Default { get; init; }
    public int MaxLength { get; init; } = 256;
    public long? Min { get; init; }
    public long? Max { get; init; }
    public IReadOnlyList<string>? AllowedValues { get; init; }
    public string? Description { get; init; }
}

/// <summary>
/// A command as data (the catalog is editable by admins). Formats are alternative word orders,
/// like StackStorm aliases: <c>run {action} on {target}</c> beside the canonical
/// <c>run {target} {action}</c>; words in braces name parameters, other words are literal.
/// </summary>
public sealed record CommandDefinition
{
    public required string Name { get; init; }
    public required string Summary { get; init; }
    public CommandKind Kind { get; init; } = CommandKind.Agent;
    public IReadOnlyList<ParameterDefinition> Parameters { get; init; } = [];

    /// <summary>Extra accepted word orders, tried after the canonical positional order fails.</summary>
    public IReadOnlyList<string> Formats { get; init; } = [];

    /// <summary>The agent allowlist action; for <c>run</c> it comes from the <c>action</c> parameter instead.</summary>
    public string? AgentAction { get; init; }

    public Risk Risk { get; init; } = Risk.Low;
    public IReadOnlyList<string> AllowedRoles { get; init; } = [];
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public LockScope LockScope { get; init; } = LockScope.Server;
    public IReadOnlyList<string> Examples { get; init; } = [];
}
