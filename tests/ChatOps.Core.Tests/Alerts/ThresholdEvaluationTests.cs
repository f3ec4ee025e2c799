using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>Threshold rules driven by a fake clock: for-duration, hysteresis, clear-for, flap damping, labels and targets.</summary>
public sealed class ThresholdEvaluationTests
{
    private static readonly string CpuFingerprint = AlertFingerprint.Of("cpu-high", "web-1", new Dictionary<string, string>());

    [Fact]
    public async Task A_breach_stays_pending_for_the_for_duration_then_fires_once()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule(@for: TimeSpan.FromMinutes(5)));

        await h.ReportCpuAsync(95);
        var pending = await h.ActiveAsync();
        Assert.Equal(AlertState.Pending, pending.State);
        await h.AdvanceAsync(TimeSpan.FromMinutes(4));
        await h.ReportCpuAsync(97);
        await h.SettleAsync(CpuFingerprint);
        Assert.Equal(AlertState.Pending, (await h.ActiveAsync()).State);
        Assert.Empty(h.EventsOf(AlertEventTypes.Fired));

        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        var firing = await h.ActiveAsync();
        Assert.Equal(AlertState.Firing, firing.State);
        Assert.Equal(pending.Id, firing.Id);
        Assert.Equal(AlertHarness.Start + TimeSpan.FromMinutes(5), firing.FiredAt);

        await h.ReportCpuAsync(98);
        await h.AdvanceAsync(TimeSpan.FromSeconds(30));
        await h.SettleAsync(CpuFingerprint);
        Assert.Single(h.EventsOf(AlertEventTypes.Fired));
        Assert.Single(h.Channel.Roots());
        Assert.Equal(98, (await h.ActiveAsync()).Value);
    }

    [Fact]
    public async Task A_breach_shorter_than_the_for_duration_never_fires()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule(@for: TimeSpan.FromMinutes(5)));

        await h.ReportCpuAsync(95);
        await h.AdvanceAsync(TimeSpan.FromMinutes(2));
        await h.ReportCpuAsync(40);
        await h.AdvanceAsync(TimeSpan.FromMinutes(10));
        await h.SettleAsync(CpuFingerprint);

        Assert.Null(await h.Alerts.FindActiveAsync(CpuFingerprint));
        Assert.Empty(h.Events.All);
        Assert.Empty(h.Channel.Roots());
    }

    [Fact]
    public async Task Hysteresis_keeps_the_alert_firing_until_the_clear_threshold_is_passed()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule() with { ClearThreshold = 80 });

        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        await h.ReportCpuAsync(85);
        await h.ReportCpuAsync(91);
        await h.ReportCpuAsync(81);
        await h.SettleAsync(alert);
        Assert.Equal(AlertState.Firing, (await h.ActiveAsync()).State);
        Assert.Empty(h.EventsOf(AlertEventTypes.Resolved));

        h.Time.Advance(TimeSpan.FromMinutes(3));
        await h.ReportCpuAsync(79);
        await h.SettleAsync(alert);
        var resolved = await h.Alerts.GetAsync(alert.Id);
        Assert.Equal(AlertState.Resolved, resolved!.State);
        Assert.Null(resolved.ResolvedBy);
        Assert.Single(h.EventsOf(AlertEventTypes.Fired));
        Assert.Single(h.EventsOf(AlertEventTypes.Resolved));
        var reply = await h.Channel.WaitForReplyAsync(alert.Id, "resolved");
        Assert.Contains("after 3 min 0 s", reply.Text);
    }

    [Fact]
    public async Task Clear_for_damps_a_brief_dip_and_resolves_only_after_staying_clear()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule() with { ClearFor = TimeSpan.FromMinutes(2) });

        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        await h.ReportCpuAsync(50);
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        await h.ReportCpuAsync(96);
        await h.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(AlertState.Firing, (await h.ActiveAsync()).State);

        await h.ReportCpuAsync(50);
        await h.AdvanceAsync(TimeSpan.FromSeconds(119));
        Assert.Equal(AlertState.Firing, (await h.ActiveAsync()).State);
        await h.AdvanceAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(AlertState.Resolved, (await h.Alerts.GetAsync(alert.Id))!.State);
        await h.SettleAsync(alert);
        Assert.Single(h.EventsOf(AlertEventTypes.Resolved));
    }

    [Fact]
    public async Task After_resolving_the_same_alert_does_not_reopen_within_the_refire_interval()
    {
        await using var h = await AlertHarness.StartAsync(o => o.MinRefireInterval = TimeSpan.FromMinutes(5), AlertHarness.CpuRule());

        await h.ReportCpuAsync(95);
        var first = await h.ActiveAsync();
        await h.ReportCpuAsync(50);
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        await h.ReportCpuAsync(95);
        await h.AdvanceAsync(TimeSpan.FromMinutes(3));
        await h.ReportCpuAsync(95);
        Assert.Null(await h.Alerts.FindActiveAsync(CpuFingerprint));

        await h.AdvanceAsync(TimeSpan.FromSeconds(61));
        await h.ReportCpuAsync(95);
        var second = await h.ActiveAsync();
        Assert.NotEqual(first.Id, second.Id);
        await h.SettleAsync(second);
        Assert.Equal(2, h.EventsOf(AlertEventTypes.Fired).Count);
        Assert.Equal(2, h.Channel.Roots().Count);
    }

    [Fact]
    public async Task Each_label_set_is_its_own_alert_and_label_matchers_narrow_the_rule()
    {
        var rule = new AlertRule
        {
            Name = "disk-full",
            Metric = MetricNames.DiskUsedPercent,
            Target = "role:web",
            Threshold = 90,
            Labels = new Dictionary<string, string> { ["device"] = "sda" },
            Routes = [AlertHarness.Route],
        };
        await using var h = await AlertHarness.StartAsync(rules: rule);
        var root = new Dictionary<string, string> { ["device"] = "sda", ["mount"] = "/" };
        var data = new Dictionary<string, string> { ["device"] = "sda", ["mount"] = "/var" };
        var other = new Dictionary<string, string> { ["device"] = "sdb", ["mount"] = "/srv" };

        await h.ReportAsync("web-1", MetricNames.DiskUsedPercent, 95, root);
        await h.ReportAsync("web-1", MetricNames.DiskUsedPercent, 97, data);
        await h.ReportAsync("web-1", MetricNames.DiskUsedPercent, 99, other);

        var active = await h.Alerts.ListActiveAsync("web-1");
        Assert.Equal(2, active.Count);
        Assert.Equal(["/", "/var"], active.Select(a => a.Labels["mount"]).Order());
        Assert.Equal(2, active.Select(a => a.Fingerprint).Distinct().Count());
    }

    [Fact]
    public async Task A_tag_target_selects_only_servers_with_that_tag()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule(target: "role:web"));

        await h.ReportCpuAsync(99, "db-1");
        await h.ReportCpuAsync(99, "web-2");

        Assert.Empty(await h.Alerts.ListActiveAsync("db-1"));
        Assert.Equal("cpu-high", Assert.Single(await h.Alerts.ListActiveAsync("web-2")).RuleName);
    }
}
