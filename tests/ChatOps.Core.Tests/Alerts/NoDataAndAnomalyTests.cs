using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Evaluation;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Tests.Alerts;

public sealed class NoDataAndAnomalyTests
{
    private static AlertRule NoDataRule() => new()
    {
        Name = "cpu-silent",
        Metric = MetricNames.CpuPercent,
        Target = "web-1",
        NoDataAfter = TimeSpan.FromMinutes(2),
        Routes = [AlertHarness.Route],
    };

    private static AlertRule AnomalyRule() => new()
    {
        Name = "load-spike",
        Metric = MetricNames.Load1,
        Target = "web-1",
        Comparator = AlertComparator.GreaterThan,
        Anomaly = new AnomalySettings(ZScore: 3, Alpha: 0.2, WarmUpSamples: 10),
        Routes = [AlertHarness.Route],
    };

    [Fact]
    public async Task Silence_from_a_server_for_the_no_data_period_fires_a_no_data_alert_that_data_resolves()
    {
        await using var h = await AlertHarness.StartAsync(rules: NoDataRule());
        var fingerprint = AlertFingerprint.Of("cpu-silent", "web-1", AlertFingerprint.NoDataLabels);

        await h.ReportCpuAsync(10);
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        await h.ReportCpuAsync(12);
        await h.AdvanceAsync(TimeSpan.FromSeconds(119));
        Assert.Null(await h.Alerts.FindActiveAsync(fingerprint));

        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        var alert = await h.Alerts.FindActiveAsync(fingerprint);
        Assert.NotNull(alert);
        Assert.Equal(AlertCondition.NoData, alert.Condition);
        Assert.Equal(AlertState.Firing, alert.State);
        await h.Channel.WaitForRootAsync(alert.Id);
        Assert.Contains("no cpu_percent sample for 2 min", h.Channel.Roots(alert.Id)[0].Text);

        // Servers matched by the rule but never heard from count from the evaluator's start; others are not watched.
        Assert.Empty(await h.Alerts.ListActiveAsync("web-2"));

        await h.ReportCpuAsync(11);
        Assert.Equal(AlertState.Resolved, (await h.Alerts.GetAsync(alert.Id))!.State);
        await h.Channel.WaitForReplyAsync(alert.Id, "resolved (recovered)");
    }

    [Fact]
    public async Task Anomaly_fires_on_a_spike_against_the_baseline_and_resolves_when_values_return()
    {
        await using var h = await AlertHarness.StartAsync(rules: AnomalyRule());
        var fingerprint = AlertFingerprint.Of("load-spike", "web-1", null);

        for (var i = 0; i < 20; i++)
        {
            await h.ReportAsync("web-1", MetricNames.Load1, i % 2 == 0 ? 1.0 : 1.2);
            h.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Null(await h.Alerts.FindActiveAsync(fingerprint));
        await h.ReportAsync("web-1", MetricNames.Load1, 4.0);
        var alert = await h.Alerts.FindActiveAsync(fingerprint);
        Assert.NotNull(alert);
        Assert.Equal(AlertCondition.Anomaly, alert.Condition);
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Contains("z = ", alert.Detail);

        for (var i = 0; i < 10 && (await h.Alerts.GetAsync(alert.Id))!.State != AlertState.Resolved; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(10));
            await h.ReportAsync("web-1", MetricNames.Load1, 1.1);
        }

        Assert.Equal(AlertState.Resolved, (await h.Alerts.GetAsync(alert.Id))!.State);
    }

    [Fact]
    public async Task Anomaly_stays_silent_while_the_baseline_warms_up()
    {
        await using var h = await AlertHarness.StartAsync(rules: AnomalyRule());

        for (var i = 0; i < 5; i++) await h.ReportAsync("web-1", MetricNames.Load1, 1.0);
        await h.ReportAsync("web-1", MetricNames.Load1, 1000);

        Assert.Empty(await h.Alerts.ListActiveAsync());
    }

    [Fact]
    public async Task A_drop_rule_ignores_spikes_and_fires_on_drops()
    {
        await using var h = await AlertHarness.StartAsync(rules: AnomalyRule() with { Comparator = AlertComparator.LessThan });
        for (var i = 0; i < 20; i++) await h.ReportAsync("web-1", MetricNames.Load1, i % 2 == 0 ? 10.0 : 10.5);

        await h.ReportAsync("web-1", MetricNames.Load1, 40);
        Assert.Empty(await h.Alerts.ListActiveAsync());
        for (var i = 0; i < 20; i++) await h.ReportAsync("web-1", MetricNames.Load1, i % 2 == 0 ? 10.0 : 10.5);
        await h.ReportAsync("web-1", MetricNames.Load1, 0);
        Assert.Equal(AlertCondition.Anomaly, Assert.Single(await h.Alerts.ListActiveAsync()).Condition);
    }

    [Fact]
    public void The_ewma_baseline_tracks_mean_and_spread()
    {
        var baseline = new EwmaBaseline(0.5);
        Assert.Null(baseline.ZScore(5, warmUpSamples: 1));
        foreach (var value in new[] { 10.0, 10.0, 10.0, 10.0 }) baseline.Add(value);
        Assert.Equal(10, baseline.Mean, 6);
        Assert.Equal(0, baseline.Variance, 6);

        baseline.Add(14);
        Assert.Equal(12, baseline.Mean, 6);
        Assert.Equal(4, baseline.Variance, 6);
        Assert.Equal(1.5, baseline.ZScore(15, warmUpSamples: 5)!.Value, 6);
    }
}
