using ChatOps.Core.Domain;

namespace ChatOps.Core.Commands;

/// <summary>
/// The commands ChatOps ships with, as data. To add or change commands, build a
/// <see cref="CommandCatalog"/> from <see cref="Definitions"/> plus your own.
/// </summary>
public sealed class BuiltInCatalog : ICommandCatalog
{
    private static readonly IReadOnlyList<string> Everyone = [Roles.Viewer, Roles.Operator, Roles.Approver, Roles.Admin];
    private static readonly IReadOnlyList<string> Operators = [Roles.Operator, Roles.Approver, Roles.Admin];

    private static readonly ParameterDefinition RequiredTarget = new()
    {
        Name = "target",
        Type = ParameterType.Target,
        Description = "a server id (web-3), a glob (web-*) or a tag (role:web)",
    };

    private static readonly ParameterDefinition Service = new()
    {
        Name = "service",
        Type = ParameterType.Word,
        MaxLength = 128,
        Description = "the service name, e.g. nginx",
    };

    private static readonly ParameterDefinition AlertReference = new()
    {
        Name = "alert",
        Type = ParameterType.Word,
        MaxLength = 64,
        Description = "the alert's id (or its fingerprint)",
    };

    public static IReadOnlyList<CommandDefinition> Definitions { get; } =
    [
        new()
        {
            Name = "help",
            Summary = "List the commands, or explain one.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Everyone,
            Parameters = [new() { Name = "command", Type = ParameterType.Word, Required = false, MaxLength = 64, Description = "a command name" }],
            Examples = ["help", "help restart"],
        },
        new()
        {
            Name = "status",
            Summary = "Show the health and latest metrics of servers (all when no target is given).",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Everyone,
            Parameters = [RequiredTarget with { Required = false }],
            Examples = ["status", "status web-3", "status role:web"],
        },
        new()
        {
            Name = "servers",
            Summary = "List the servers ChatOps manages, with their tags.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Everyone,
            Examples = ["servers"],
        },
        new()
        {
            Name = "whoami",
            Summary = "Show who ChatOps thinks you are and your roles.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Everyone,
            Examples = ["whoami"],
        },
        new()
        {
            Name = "history",
            Summary = "Show recent commands, optionally only those for a target.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Everyone,
            Parameters =
            [
                RequiredTarget with { Required = false },
                new() { Name = "limit", Type = ParameterType.Integer, Required = false, FlagOnly = true, Default = "20", Min = 1, Max = 200, Description = "how many commands to show" },
            ],
            Examples = ["history", "history web-3", "history role:web --limit 50"],
        },
        new()
        {
            Name = "cancel",
            Summary = "Cancel a command that is waiting or running.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Operators,
            Parameters = [new() { Name = "command_id", Type = ParameterType.Word, MaxLength = 64, Description = "the id shown when the command was accepted" }],
            Examples = ["cancel 7f3c2a"],
        },
        new()
        {
            Name = "approve",
            Summary = "Approve a high-risk request of someone else, so it runs.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = [Roles.Approver, Roles.Admin],
            Parameters = [new() { Name = "approval_id", Type = ParameterType.Text, MaxLength = 64, Description = "the id shown when approval was requested (#id works too)" }],
            Examples = ["approve 7f3c2a", "approve #7f3c2a"],
        },
        new()
        {
            Name = "deny",
            Summary = "Deny a high-risk request, so it never runs.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = [Roles.Approver, Roles.Admin],
            Parameters =
            [
                new() { Name = "approval_id", Type = ParameterType.Text, MaxLength = 64, Description = "the id shown when approval was requested (#id works too)" },
                new() { Name = "reason", Type = ParameterType.Text, Required = false, Rest = true, MaxLength = 500, Description = "why, for the requester" },
            ],
            Examples = ["deny 7f3c2a", "deny 7f3c2a not during the sale"],
        },
        new()
        {
            // AgentAction stays null: the agent action is the {action} parameter, checked
            // against the agent's own allowlist; the action's arguments arrive as ActionArgs.
            Name = "run",
            Summary = "Run an allowlisted action on servers; its arguments are passed literally, never through a shell.",
            Kind = CommandKind.Agent,
            AgentAction = null,
            LockScope = LockScope.Server,
            AllowedRoles = Operators,
            Parameters =
            [
                RequiredTarget,
                new() { Name = "action", Type = ParameterType.Action, Rest = true, MaxLength = 64, Description = "an action from the agent's allowlist, then its arguments" },
            ],
            Formats = ["run {action} on {target}"],
            Examples = ["run web-1 uptime", "run uptime on web-1", "run role:web df -- -h /var", "run web-* uptime --max-concurrency 5 --max-errors 1"],
        },
        new()
        {
            Name = "restart",
            Summary = "Restart a service on servers.",
            Kind = CommandKind.Agent,
            AgentAction = "restart",
            Risk = Risk.Low,
            Timeout = TimeSpan.FromSeconds(120),
            LockScope = LockScope.Server,
            AllowedRoles = Operators,
            Parameters = [RequiredTarget, Service],
            Examples = ["restart web-3 nginx", "restart role:web nginx --max-concurrency 2"],
        },
        new()
        {
            // Read-only, so viewers may use it and it takes no lock.
            Name = "logs",
            Summary = "Show the latest log lines of a service.",
            Kind = CommandKind.Agent,
            AgentAction = "logs",
            LockScope = LockScope.None,
            AllowedRoles = Everyone,
            Parameters =
            [
                RequiredTarget,
                Service,
                new() { Name = "lines", Type = ParameterType.Integer, Required = false, FlagOnly = true, Default = "100", Min = 1, Max = 5000, Description = "how many lines" },
            ],
            Examples = ["logs web-3 nginx", "logs web-3 nginx --lines 500"],
        },
    ];

    /// <summary>
    /// The alert commands (<c>alerts</c>, <c>ack</c>, <c>resolve</c>, <c>silence</c>): built-ins of the
    /// alerting module, offered by a catalog made with <c>includeAlerts: true</c> (as the host does).
    /// </summary>
    public static IReadOnlyList<CommandDefinition> AlertDefinitions { get; } =
    [
        new()
        {
            Name = "alerts",
            Summary = "List the open alerts, optionally only those of a target.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Everyone,
            Parameters = [RequiredTarget with { Required = false }],
            Examples = ["alerts", "alerts web-3", "alerts role:web"],
        },
        new()
        {
            Name = "ack",
            Summary = "Acknowledge an alert: you are on it, so escalation stops.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Operators,
            Parameters = [AlertReference],
            Examples = ["ack k3f9x2ab"],
        },
        new()
        {
            Name = "resolve",
            Summary = "Resolve an alert by hand.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Operators,
            Parameters = [AlertReference],
            Examples = ["resolve k3f9x2ab"],
        },
        new()
        {
            // A --start-in makes it a maintenance window that begins later.
            Name = "silence",
            Summary = "Mute the alerts of servers for a while (a deploy, a maintenance window).",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = Operators,
            Parameters =
            [
                RequiredTarget,
                new() { Name = "duration", Type = ParameterType.Duration, Min = 60, Max = 31 * 86_400, Description = "how long, e.g. 30m, 2h, 1d" },
                new() { Name = "comment", Type = ParameterType.Text, Required = false, Rest = true, MaxLength = 500, Description = "why, for the people who see the silence" },
                new() { Name = "rule", Type = ParameterType.Target, Required = false, FlagOnly = true, MaxLength = 64, Description = "only this rule (a name or a glob such as disk-*)" },
                new() { Name = "start_in", Type = ParameterType.Duration, Required = false, FlagOnly = true, Max = 31 * 86_400, Description = "start later, e.g. 1h" },
            ],
            Examples = ["silence web-3 2h \"deploy\"", "silence role:web 30m --rule cpu-high", "silence db-1 1h --start-in 3h \"planned maintenance\""],
        },
    ];

    private readonly CommandCatalog catalog;

    /// <summary>The commands of <see cref="Definitions"/>.</summary>
    public BuiltInCatalog()
        : this(includeAlerts: false)
    {
    }

    /// <param name="includeAlerts">Also offer <see cref="AlertDefinitions"/>.</param>
    public BuiltInCatalog(bool includeAlerts) =>
        catalog = new CommandCatalog(includeAlerts ? Definitions.Concat(AlertDefinitions) : Definitions);

    public IReadOnlyList<CommandDefinition> All => catalog.All;

    public CommandDefinition? Find(string name) => catalog.Find(name);
}
