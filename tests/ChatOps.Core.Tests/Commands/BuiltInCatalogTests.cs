using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using static ChatOps.Core.Tests.Commands.Parsing;

namespace ChatOps.Core.Tests.Commands;

public class BuiltInCatalogTests
{
    private static readonly string[] Everyone = [Roles.Viewer, Roles.Operator, Roles.Approver, Roles.Admin];
    private static readonly string[] Operators = [Roles.Operator, Roles.Approver, Roles.Admin];

    private static CommandDefinition Get(string name) => BuiltIns.Find(name) ?? throw new InvalidOperationException($"no {name}");

    [Fact]
    public void Holds_the_default_commands_in_name_order()
    {
        Assert.Equal(["approve", "cancel", "deny", "help", "history", "logs", "restart", "run", "servers", "status", "whoami"], BuiltIns.All.Select(definition => definition.Name));
    }

    [Theory]
    [InlineData("help")]
    [InlineData("status")]
    [InlineData("servers")]
    [InlineData("whoami")]
    [InlineData("history")]
    public void Read_only_built_ins_are_for_everyone_without_a_lock(string name)
    {
        var definition = Get(name);

        Assert.Equal(CommandKind.BuiltIn, definition.Kind);
        Assert.Equal(LockScope.None, definition.LockScope);
        Assert.Equal(Everyone, definition.AllowedRoles);
        Assert.Null(definition.AgentAction);
    }

    [Fact]
    public void Cancel_is_for_operators_and_up()
    {
        var cancel = Get("cancel");

        Assert.Equal(CommandKind.BuiltIn, cancel.Kind);
        Assert.Equal(Operators, cancel.AllowedRoles);
        Assert.Equal("cancel <command_id>", CommandUsage.For(cancel));
    }

    [Fact]
    public void Run_takes_its_agent_action_from_the_action_parameter()
    {
        var run = Get("run");

        Assert.Equal(CommandKind.Agent, run.Kind);
        Assert.Null(run.AgentAction);
        Assert.Equal(Operators, run.AllowedRoles);
        Assert.Equal(LockScope.Server, run.LockScope);
        Assert.Equal(["run {action} on {target}"], run.Formats);
        Assert.Equal("run <target> <action> [args...]  (or: run <action> on <target>)", CommandUsage.For(run));
    }

    [Fact]
    public void Restart_is_a_low_risk_agent_action_with_a_longer_timeout()
    {
        var restart = Get("restart");

        Assert.Equal(CommandKind.Agent, restart.Kind);
        Assert.Equal("restart", restart.AgentAction);
        Assert.Equal(Risk.Low, restart.Risk);
        Assert.Equal(TimeSpan.FromSeconds(120), restart.Timeout);
        Assert.Equal(LockScope.Server, restart.LockScope);
        Assert.Equal(Operators, restart.AllowedRoles);
        Assert.Equal("restart <target> <service>", CommandUsage.For(restart));
    }

    [Fact]
    public void Logs_is_read_only_for_everyone()
    {
        var logs = Get("logs");

        Assert.Equal("logs", logs.AgentAction);
        Assert.Equal(LockScope.None, logs.LockScope);
        Assert.Equal(Everyone, logs.AllowedRoles);
        Assert.Equal("logs <target> <service> [--lines N]", CommandUsage.For(logs));
    }

    [Theory]
    [InlineData("help", "help [command]")]
    [InlineData("status", "status [target]")]
    [InlineData("servers", "servers")]
    [InlineData("whoami", "whoami")]
    [InlineData("history", "history [target] [--limit N]")]
    public void Usage_lines(string name, string usage)
    {
        Assert.Equal(usage, CommandUsage.For(Get(name)));
    }

    [Fact]
    public void Every_command_has_a_summary_and_examples_that_parse_as_itself()
    {
        var parser = new CommandParser(BuiltIns);
        foreach (var definition in BuiltIns.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(definition.Summary));
            Assert.NotEmpty(definition.Examples);
            foreach (var example in definition.Examples)
            {
                var success = Assert.IsType<ParseSuccess>(parser.Parse(example));
                Assert.Equal(definition.Name, success.Command.Definition.Name);
            }
        }
    }

    [Fact]
    public void Help_for_all_lists_every_command_with_its_summary()
    {
        var help = HelpText.ForAll(BuiltIns);

        Assert.StartsWith("Commands:\n• `approve` — Approve a high-risk request of someone else, so it runs.\n", help, StringComparison.Ordinal);
        foreach (var definition in BuiltIns.All) Assert.Contains($"• `{definition.Name}` — {definition.Summary}", help, StringComparison.Ordinal);
        Assert.EndsWith("Type `help <command>` for details. Targets: a server id (`web-3`), a glob (`web-*`) or a tag (`role:web`).", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_for_one_command_shows_usage_summary_options_and_examples()
    {
        Assert.Equal(
            """
            Usage: `logs <target> <service> [--lines N]`
            Show the latest log lines of a service.
            • `<target>`: a server id (web-3), a glob (web-*) or a tag (role:web)
            • `<service>`: the service name, e.g. nginx
            • `--lines N`: how many lines (default 100)
            Options for many servers: `--max-concurrency N` (how many at once), `--max-errors N` (stop after N failures).
            Allowed for: viewer, operator, approver, admin
            Examples:
            • `logs web-3 nginx`
            • `logs web-3 nginx --lines 500`
            """,
            HelpText.For(Get("logs")));
    }

    [Fact]
    public void Help_marks_high_risk_commands()
    {
        var risky = Get("restart") with { Risk = Risk.High };

        Assert.Contains("High risk: a second person must approve it.", HelpText.For(risky), StringComparison.Ordinal);
        Assert.DoesNotContain("High risk", HelpText.For(Get("restart")), StringComparison.Ordinal);
    }
}
