using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>Rules from the store (the admin page's service) beside the file's, and what happens when a rule goes away.</summary>
public sealed class RuleSourceTests
{
    [Fact]
    public async Task A_rule_stored_through_the_service_is_in_force_at_once_and_the_file_wins_on_a_name_clash()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        var service = h.Services.GetRequiredService<AlertRuleService>();

        var stored = await service.UpsertAsync(AlertHarness.CpuRule(target: "db-1") with { Name = "db-cpu" });
        var clash = await service.UpsertAsync(AlertHarness.CpuRule(target: "db-1"));
        var invalid = await service.UpsertAsync(new AlertRuleDocument { Name = "Bad Name", Metric = "cpu_percent", Threshold = "x" });

        Assert.True(stored.Succeeded);
        Assert.Contains("defined in the rules file", Assert.Single(clash.Errors));
        Assert.Contains(invalid.Errors, e => e.Contains("field 'threshold'", StringComparison.Ordinal));
        Assert.Equal(["cpu-high", "db-cpu"], service.ListInForce().Select(r => r.Name));
        await h.ReportCpuAsync(99, "db-1");
        Assert.Equal("db-cpu", Assert.Single(await h.Alerts.ListActiveAsync("db-1")).RuleName);

        // Another process (a new instance) loads stored rules on refresh.
        await h.RestartAsync();
        await h.Services.GetRequiredService<AlertRuleService>().RefreshAsync();
        Assert.NotNull(h.Services.GetRequiredService<AlertRuleSet>().Find("db-cpu"));
    }

    [Fact]
    public async Task An_alert_whose_rule_is_removed_resolves_on_the_next_tick()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();

        h.UseRules();
        await h.AdvanceAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(AlertState.Resolved, (await h.Alerts.GetAsync(alert.Id))!.State);
        await h.Channel.WaitForReplyAsync(alert.Id, "resolved");
    }

    [Fact]
    public async Task The_rule_terms_are_frozen_on_the_alert_when_it_opens()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);

        h.UseRules(AlertHarness.CpuRule(threshold: 99) with { Routes = [], Runbook = null });
        await h.ReportCpuAsync(100);

        var alert = await h.ActiveAsync();
        Assert.Equal(100, alert.Value);
        Assert.Equal(90, alert.Terms.Threshold);
        Assert.Equal([AlertHarness.Route], alert.Terms.Routes);
        Assert.Equal("restart web-1 nginx", alert.Terms.Runbook);
        Assert.Equal(MetricNames.CpuPercent, alert.Terms.Metric);
    }
}
