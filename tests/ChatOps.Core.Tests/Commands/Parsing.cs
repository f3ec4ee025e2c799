using ChatOps.Core.Commands;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Tests.Commands;

/// <summary>Shared catalogs and assertions for the grammar tests.</summary>
internal static class Parsing
{
    public static readonly BuiltInCatalog BuiltIns = new();

    /// <summary>The built-ins plus commands that use every parameter type and a literal format.</summary>
    public static readonly CommandCatalog Extended = new(BuiltInCatalog.Definitions.Concat(
    [
        new CommandDefinition
        {
            Name = "deploy",
            Summary = "Deploy a version.",
            AgentAction = "deploy",
            AllowedRoles = [Roles.Operator, Roles.Admin],
            Parameters =
            [
                new() { Name = "target", Type = ParameterType.Target },
                new() { Name = "version", Type = ParameterType.Word, MaxLength = 16 },
                new() { Name = "strategy", Type = ParameterType.Choice, AllowedValues = ["rolling", "canary", "blue-green"], Required = false, FlagOnly = true, Default = "rolling" },
            ],
            Formats = ["deploy {version} to {target}"],
            Examples = ["deploy web-1 1.2.3", "deploy 1.2.3 to role:web --strategy canary"],
        },
        new CommandDefinition
        {
            Name = "silence",
            Summary = "Silence alerts for a while.",
            Kind = CommandKind.BuiltIn,
            LockScope = LockScope.None,
            AllowedRoles = [Roles.Operator],
            Parameters =
            [
                new() { Name = "target", Type = ParameterType.Target },
                new() { Name = "duration", Type = ParameterType.Duration, Min = 60, Max = 7 * 86_400 },
                new() { Name = "reason", Type = ParameterType.Text, Rest = true, Required = false, MaxLength = 40 },
            ],
            Examples = ["silence web-1 1h30m disk is being replaced"],
        },
        new CommandDefinition
        {
            Name = "scale",
            Summary = "Scale workers.",
            AgentAction = "scale",
            AllowedRoles = [Roles.Admin],
            Parameters =
            [
                new() { Name = "target", Type = ParameterType.Target },
                new() { Name = "replicas", Type = ParameterType.Integer, Min = 1, Max = 10 },
            ],
            Formats = ["scale {replicas} {target}"],
            Examples = ["scale web-1 3", "scale 3 web-1"],
        },
    ]));

    public static ParsedCommand Success(string text, ICommandCatalog? catalog = null, CommandParserOptions? options = null)
    {
        var result = new CommandParser(catalog ?? BuiltIns, options).Parse(text);
        var success = Assert.IsType<ParseSuccess>(result);
        return success.Command;
    }

    public static ParseFailure Failure(string text, ICommandCatalog? catalog = null, CommandParserOptions? options = null)
    {
        var result = new CommandParser(catalog ?? BuiltIns, options).Parse(text);
        return Assert.IsType<ParseFailure>(result);
    }
}
