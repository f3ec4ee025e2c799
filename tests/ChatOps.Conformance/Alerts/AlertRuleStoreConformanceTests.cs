using ChatOps.Core.Alerts.Rules;
using static ChatOps.Conformance.Alerts.AlertTestData;

namespace ChatOps.Conformance.Alerts;

/// <summary><see cref="Core.Ports.IAlertRuleStore"/>: rules kept whole, by unique name.</summary>
public abstract class AlertRuleStoreConformanceTests : AlertingConformanceTests
{
    [Fact]
    public async Task Rules_round_trip_and_are_replaced_by_name()
    {
        await Stores.Rules.UpsertAsync(Rule("load-b"), T0);
        await Stores.Rules.UpsertAsync(Rule("load-a"), T0);
        await Stores.Rules.UpsertAsync(Rule("load-b") with { Severity = AlertSeverity.Critical, Routes = [] }, T0.AddMinutes(1));

        AssertSameRule(Rule("load-a"), await Stores.Rules.GetAsync("load-a"));
        AssertSameRule(Rule("load-b") with { Severity = AlertSeverity.Critical, Routes = [] }, await Stores.Rules.GetAsync("load-b"));
        Assert.Equal(["load-a", "load-b"], (await Stores.Rules.ListAsync()).Select(r => r.Name));
    }

    [Fact]
    public async Task A_rule_with_only_required_fields_round_trips_with_its_defaults()
    {
        var rule = new AlertRule { Name = "cpu-high", Metric = "cpu_percent" };

        await Stores.Rules.UpsertAsync(rule, T0);

        var stored = await Stores.Rules.GetAsync("cpu-high");
        AssertSameRule(rule, stored);
        Assert.Equal(("*", null, null), (stored!.Target, stored.Threshold, stored.Anomaly));
    }

    [Fact]
    public async Task Deleting_removes_a_rule_once()
    {
        await Stores.Rules.UpsertAsync(Rule("load-a"), T0);
        await Stores.Rules.UpsertAsync(Rule("load-b"), T0);

        Assert.True(await Stores.Rules.DeleteAsync("load-a"));
        Assert.False(await Stores.Rules.DeleteAsync("load-a"));
        Assert.False(await Stores.Rules.DeleteAsync("never-existed"));

        Assert.Null(await Stores.Rules.GetAsync("load-a"));
        Assert.Equal(["load-b"], (await Stores.Rules.ListAsync()).Select(r => r.Name));
    }

    [Fact]
    public async Task An_empty_store_has_no_rules()
    {
        Assert.Empty(await Stores.Rules.ListAsync());
        Assert.Null(await Stores.Rules.GetAsync("load-a"));
    }

    [Fact]
    public async Task Rules_are_listed_by_name_in_code_point_order_whatever_the_collation()
    {
        // '-' < '.' < digits < '_' < letters by code point; a linguistic collation ignores the punctuation.
        string[] names = ["load_x", "loadx", "load.x", "load0", "load-x"];
        foreach (var name in names)
        {
            await Stores.Rules.UpsertAsync(Rule(name), T0);
        }

        Assert.Equal(names.Order(StringComparer.Ordinal), (await Stores.Rules.ListAsync()).Select(r => r.Name));
    }

    [Fact]
    public async Task Replicas_saving_one_rule_at_once_leave_exactly_one_of_their_versions()
    {
        var replicas = Replicas(2);

        await RunConcurrentlyAsync(12, replicas, async (stores, i) =>
        {
            await stores.Rules.UpsertAsync(Rule("load-a") with { Summary = $"edit {i}" }, T0.AddSeconds(i));
            return i;
        });

        var rule = Assert.Single(await Stores.Rules.ListAsync());
        Assert.Matches("^edit ([0-9]|1[01])$", rule.Summary);
    }
}
