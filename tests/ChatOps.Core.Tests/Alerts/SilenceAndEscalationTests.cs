using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;

namespace ChatOps.Core.Tests.Alerts;

public sealed class SilenceAndEscalationTests
{
    private static readonly AlertRule Escalating = AlertHarness.CpuRule() with
    {
        Escalation = new EscalationSettings(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), "@oncall-web"),
    };

    [Fact]
    public async Task A_silenced_alert_is_recorded_but_announced_only_when_the_silence_ends()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        var answer = await h.SayAsync("silence web-1 1h \"deploy\"");
        Assert.Contains("Silenced `web-1`", answer);
        Assert.Contains("deploy", answer);

        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.NotNull(alert.SilencedBy);
        await h.AdvanceAsync(TimeSpan.FromMinutes(59));
        await h.SettleAsync(alert);
        Assert.Empty(h.Events.All);
        Assert.Empty(h.Channel.Roots());

        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        await h.Channel.WaitForRootAsync(alert.Id);
        await h.SettleAsync(alert); // the plain consumer of alerts-topic has caught up too
        Assert.Null((await h.ActiveAsync()).SilencedBy);
        Assert.Single(h.EventsOf(AlertEventTypes.Fired));
    }

    [Fact]
    public async Task A_silence_scoped_to_another_rule_or_server_does_not_mute()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule(target: "role:web"));
        await h.SayAsync("silence web-2 1h");
        await h.SayAsync("silence role:web 1h --rule disk-*");

        await h.ReportCpuAsync(95);

        var alert = await h.ActiveAsync();
        Assert.Null(alert.SilencedBy);
        await h.Channel.WaitForRootAsync(alert.Id);
    }

    [Fact]
    public async Task Silencing_an_announced_alert_replies_in_its_thread_and_stops_escalation()
    {
        await using var h = await AlertHarness.StartAsync(rules: Escalating);
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        await h.Channel.WaitForRootAsync(alert.Id);

        var answer = await h.SayAsync($"silence web-1 1h --rule cpu-high \"from alert {alert.Id}\"");
        Assert.Contains("1 open alert(s) muted", answer);
        var reply = await h.Channel.WaitForReplyAsync(alert.Id, "silenced by olivia");
        Assert.Contains($"from alert {alert.Id}", reply.Text);

        await h.AdvanceAsync(TimeSpan.FromMinutes(30));
        await h.SettleAsync(alert);
        Assert.Empty(h.EventsOf(AlertEventTypes.Escalated));
    }

    [Fact]
    public async Task A_maintenance_window_mutes_alerts_only_from_its_start()
    {
        await using var h = await AlertHarness.StartAsync(rules: Escalating);
        var answer = await h.SayAsync("silence web-1 2h --start-in 1h \"planned maintenance\"");
        Assert.Contains("maintenance window", answer);

        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        Assert.Null(alert.SilencedBy);
        await h.Channel.WaitForRootAsync(alert.Id);

        await h.AdvanceAsync(TimeSpan.FromMinutes(60));
        Assert.NotNull((await h.ActiveAsync()).SilencedBy);
        await h.Channel.WaitForReplyAsync(alert.Id, "silenced by olivia");
    }

    [Fact]
    public async Task An_unacknowledged_alert_escalates_to_on_call_and_repeats_until_acknowledged()
    {
        await using var h = await AlertHarness.StartAsync(rules: Escalating);
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();

        await h.AdvanceAsync(TimeSpan.FromMinutes(9));
        await h.SettleAsync(alert);
        Assert.Empty(h.EventsOf(AlertEventTypes.Escalated));

        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        var first = await h.Channel.WaitForReplyAsync(alert.Id, "call 1");
        Assert.Equal("@oncall-web", first.Mention);
        Assert.Contains("@oncall-web", first.Text);
        Assert.Contains("firing for 10 min", first.Text);

        await h.AdvanceAsync(TimeSpan.FromMinutes(29));
        await h.SettleAsync(alert);
        Assert.Single(h.EventsOf(AlertEventTypes.Escalated));
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        await h.Channel.WaitForReplyAsync(alert.Id, "call 2");

        Assert.Contains("Acknowledged", await h.SayAsync($"ack {alert.Id}"));
        await h.AdvanceAsync(TimeSpan.FromHours(2));
        await h.SettleAsync(alert);
        Assert.Equal(2, h.EventsOf(AlertEventTypes.Escalated).Count);
    }

    [Fact]
    public async Task Escalation_defaults_come_from_the_options()
    {
        await using var h = await AlertHarness.StartAsync(o =>
        {
            o.EscalationAfter = TimeSpan.FromMinutes(5);
            o.OnCallMention = "@oncall";
        }, AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();

        await h.AdvanceAsync(TimeSpan.FromMinutes(5));

        Assert.Equal("@oncall", (await h.Channel.WaitForReplyAsync(alert.Id, "call 1")).Mention);
    }
}
