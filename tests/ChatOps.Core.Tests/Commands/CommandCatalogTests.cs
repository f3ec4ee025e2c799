using ChatOps.Core.Commands;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Tests.Commands;

public class CommandCatalogTests
{
    private static CommandDefinition Valid(string name = "ping") => new()
    {
        Name = name,
        Summary = "Ping a server.",
        AgentAction = "ping",
        AllowedRoles = [Roles.Operator],
        Parameters = [new() { Name = "target", Type = ParameterType.Target }],
    };

    private static string Rejection(params CommandDefinition[] definitions) =>
        Assert.Throws<ArgumentException>(() => new CommandCatalog(definitions)).Message;

    [Fact]
    public void Finds_commands_by_lowercase_name_and_lists_them_by_name()
    {
        var catalog = new CommandCatalog([Valid("zap"), Valid("ping")]);

        Assert.Equal(["ping", "zap"], catalog.All.Select(definition => definition.Name));
        Assert.Equal("ping", catalog.Find("PING")?.Name);
        Assert.Null(catalog.Find("pong"));
        Assert.Null(catalog.Find(null!));
    }

    [Theory]
    [InlineData("Restart")]
    [InlineData("re start")]
    [InlineData("restаrt")]
    [InlineData("9lives")]
    [InlineData("")]
    public void Names_must_be_lowercase_ascii(string name)
    {
        Assert.Contains("the name must be lowercase ASCII", Rejection(Valid() with { Name = name }), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var message = Rejection(
            Valid() with { Summary = " ", AllowedRoles = ["root"] },
            Valid() with { Name = "other", Timeout = TimeSpan.Zero },
            Valid() with { Name = "other" });

        Assert.Contains("command \"ping\": the summary is empty", message, StringComparison.Ordinal);
        Assert.Contains("command \"ping\": unknown role \"root\" (known: viewer, operator, approver, admin)", message, StringComparison.Ordinal);
        Assert.Contains("command \"other\": the timeout must be positive", message, StringComparison.Ordinal);
        Assert.Contains("command \"other\" is defined twice", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_last_positional_parameter_may_be_rest()
    {
        var message = Rejection(Valid() with
        {
            Parameters =
            [
                new() { Name = "words", Type = ParameterType.Text, Rest = true },
                new() { Name = "target", Type = ParameterType.Target },
            ],
        });

        Assert.Contains("parameter \"words\" is Rest but not the last positional parameter", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run {action} on {host}", "format \"run {action} on {host}\" names unknown parameter {host}")]
    [InlineData("execute {action} on {target}", "format \"execute {action} on {target}\" must start with the command name \"run\"")]
    [InlineData("run {action}", "format \"run {action}\" leaves out required parameter {target}")]
    [InlineData("run {action} {action} {target}", "format \"run {action} {action} {target}\" names {action} twice")]
    [InlineData("run {action} $on {target}", "format \"run {action} $on {target}\" has \"$on\", which is neither {parameter} nor a plain keyword")]
    public void Formats_must_name_known_parameters(string format, string problem)
    {
        var run = BuiltInCatalog.Definitions.Single(definition => definition.Name == "run") with { Formats = [format] };

        Assert.Contains(problem, Rejection(run), StringComparison.Ordinal);
    }

    [Fact]
    public void Parameter_rules()
    {
        var message = Rejection(Valid() with
        {
            Parameters =
            [
                new() { Name = "target", Type = ParameterType.Target, Required = false },
                new() { Name = "Level", Type = ParameterType.Word },
                new() { Name = "mode", Type = ParameterType.Choice, FlagOnly = true, Required = false },
                new() { Name = "count", Type = ParameterType.Integer, FlagOnly = true, Required = false, Min = 5, Max = 1, Default = "x" },
                new() { Name = "max_errors", Type = ParameterType.Integer, FlagOnly = true, Required = false },
                new() { Name = "tail", Type = ParameterType.Word, Rest = true, FlagOnly = true, Required = false },
            ],
        });

        Assert.Contains("parameter \"Level\": the name must be lowercase", message, StringComparison.Ordinal);
        Assert.Contains("parameter \"mode\" is a Choice without AllowedValues", message, StringComparison.Ordinal);
        Assert.Contains("parameter \"count\": Min is above Max", message, StringComparison.Ordinal);
        Assert.Contains("parameter \"count\": default \"x\" is invalid: <count> must be a whole number, got `x`.", message, StringComparison.Ordinal);
        Assert.Contains("parameter \"max_errors\" would hide the global option --max-errors", message, StringComparison.Ordinal);
        Assert.Contains("parameter \"tail\" can't be both Rest and FlagOnly", message, StringComparison.Ordinal);
        Assert.Contains("parameter \"tail\" is Rest, so it must be of type Action or Text", message, StringComparison.Ordinal);
        Assert.Contains("required parameter \"Level\" follows optional \"target\"", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kinds_and_agent_actions_must_agree()
    {
        Assert.Contains("an Agent command needs an AgentAction or an Action parameter", Rejection(Valid() with { AgentAction = null }), StringComparison.Ordinal);
        Assert.Contains("a BuiltIn command has no AgentAction", Rejection(Valid() with { Kind = CommandKind.BuiltIn }), StringComparison.Ordinal);
        Assert.Contains("AllowedRoles is empty", Rejection(Valid() with { AllowedRoles = [] }), StringComparison.Ordinal);
    }

    [Fact]
    public void Examples_must_parse_as_their_own_command()
    {
        var message = Rejection(Valid() with { Examples = ["ping", "ping web-1 extra"] }, Valid("pong") with { Examples = ["ping web-1"] });

        Assert.Contains("command \"ping\": example \"ping\" does not parse: `ping` needs a <target>.", message, StringComparison.Ordinal);
        Assert.Contains("command \"ping\": example \"ping web-1 extra\" does not parse: Too many words for `ping`: `extra`.", message, StringComparison.Ordinal);
        Assert.Contains("command \"pong\": example \"ping web-1\" parses as \"ping\"", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Admins_can_extend_the_built_ins()
    {
        var catalog = new CommandCatalog(BuiltInCatalog.Definitions.Append(Valid()));

        Assert.Equal("ping", new CommandParser(catalog).Parse("ping web-1") is ParseSuccess success ? success.Command.Definition.Name : null);
        Assert.Equal(BuiltInCatalog.Definitions.Count + 1, catalog.All.Count);
    }
}
