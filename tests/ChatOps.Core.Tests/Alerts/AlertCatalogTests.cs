using ChatOps.Core.Commands;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Tests.Alerts;

public sealed class AlertCatalogTests
{
    private static readonly BuiltInCatalog Catalog = new(includeAlerts: true);

    [Fact]
    public void The_host_catalog_offers_the_alert_commands_beside_the_others()
    {
        Assert.Equal(["ack", "alerts", "approve", "cancel", "deny", "help", "history", "logs", "resolve", "restart", "run", "servers", "silence", "status", "whoami"],
            Catalog.All.Select(d => d.Name));
        Assert.Null(new BuiltInCatalog().Find("ack"));
    }

    [Theory]
    [InlineData("ack", false)]
    [InlineData("resolve", false)]
    [InlineData("silence", false)]
    [InlineData("alerts", true)]
    public void Acting_on_alerts_needs_an_operator_while_anyone_may_list_them(string name, bool viewers)
    {
        var definition = Catalog.Find(name)!;

        Assert.Equal(CommandKind.BuiltIn, definition.Kind);
        Assert.Equal(LockScope.None, definition.LockScope);
        Assert.Equal(viewers, definition.AllowedRoles.Contains(Roles.Viewer));
        Assert.Contains(Roles.Operator, definition.AllowedRoles);
    }

    [Fact]
    public void Silence_reads_target_duration_comment_rule_and_start()
    {
        var result = new CommandParser(Catalog).Parse("/chatops silence role:web 90m \"kernel upgrade\" --rule disk-* --start-in 1h");
        if (result is ParseFailure failure) Assert.Fail(failure.ToReply());
        var parsed = Assert.IsType<ParseSuccess>(result).Command;

        Assert.Equal("role:web", parsed.Target);
        Assert.Equal("1h30m", parsed.Get("duration"));
        Assert.Equal("kernel upgrade", parsed.Get("comment"));
        Assert.Equal("disk-*", parsed.Get("rule"));
        Assert.Equal("1h", parsed.Get("start_in"));
        Assert.IsType<ParseFailure>(new CommandParser(Catalog).Parse("silence web-3 30s"));
    }
}
