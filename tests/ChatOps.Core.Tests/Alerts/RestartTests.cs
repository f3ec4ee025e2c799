using ChatOps.Core.Alerts;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>A new evaluator and notifier over the same store carry on: nothing forgotten, nothing announced twice.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task A_pending_alert_keeps_its_for_duration_across_a_restart()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule(@for: TimeSpan.FromMinutes(5)));
        await h.ReportCpuAsync(95);
        var pending = await h.ActiveAsync();
        await h.AdvanceAsync(TimeSpan.FromMinutes(3));

        await h.RestartAsync();
        await h.ReportCpuAsync(96);
        Assert.Equal(AlertState.Pending, (await h.ActiveAsync()).State);
        await h.AdvanceAsync(TimeSpan.FromMinutes(2));

        var firing = await h.ActiveAsync();
        Assert.Equal(pending.Id, firing.Id);
        Assert.Equal(AlertState.Firing, firing.State);
        Assert.Equal(AlertHarness.Start + TimeSpan.FromMinutes(5), firing.FiredAt);
        await h.Channel.WaitForRootAsync(firing.Id);
    }

    [Fact]
    public async Task A_firing_alert_is_neither_forgotten_nor_announced_again_after_a_restart()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        await h.Channel.WaitForRootAsync(alert.Id);
        await h.SettleAsync(alert);
        Assert.Single(h.EventsOf(AlertEventTypes.Fired));

        await h.RestartAsync();
        await h.ReportCpuAsync(97);
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        await h.ReportCpuAsync(98);
        await h.SettleAsync(alert);

        Assert.Single(h.EventsOf(AlertEventTypes.Fired));
        Assert.Single(h.Channel.Roots());
        Assert.Equal(alert.Id, (await h.ActiveAsync()).Id);

        h.Time.Advance(TimeSpan.FromMinutes(6));
        await h.ReportCpuAsync(20);
        var reply = await h.Channel.WaitForReplyAsync(alert.Id, "resolved");
        Assert.Contains("after 7 min 0 s", reply.Text);
        Assert.Single(h.Channel.Roots());
    }

    [Fact]
    public async Task A_redelivered_event_after_a_restart_is_not_posted_twice()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        await h.Channel.WaitForRootAsync(alert.Id);
        Assert.Contains("Acknowledged", await h.SayAsync($"ack {alert.Id}"));
        await h.Channel.WaitForReplyAsync(alert.Id, "acknowledged by olivia");
        await h.SettleAsync(alert);

        // The new process gets the old events again (a consumer that died before committing).
        await h.RestartAsync();
        var acknowledged = await h.ActiveAsync();
        await h.Bus.PublishAsync(Core.Events.Topics.Alerts, AlertEnvelopes.Create(acknowledged with { PendingEvent = AlertEventTypes.Fired }, h.Time.GetUtcNow()));
        await h.Bus.PublishAsync(Core.Events.Topics.Alerts, AlertEnvelopes.Create(acknowledged with { PendingEvent = AlertEventTypes.Acknowledged }, h.Time.GetUtcNow()));
        await h.SettleAsync(alert);

        Assert.Single(h.Channel.Roots());
        Assert.Single(h.Channel.Replies(alert.Id), r => r.Text.Contains("acknowledged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_event_lost_between_the_write_and_the_bus_is_published_by_a_later_tick()
    {
        await using var h = await AlertHarness.StartAsync(o => o.RepublishAfter = TimeSpan.FromSeconds(30), AlertHarness.CpuRule());

        // What a crash right after the store write leaves behind: the state changed, the event never sent.
        var orphan = NotifierTests.Sample(h, "orphan01") with { RuleName = "cpu-high" };
        Assert.True(await h.Alerts.TryCreateAsync(orphan));
        await h.AdvanceAsync(TimeSpan.FromSeconds(29));
        await h.SettleAsync(orphan);
        Assert.Empty(h.Channel.Roots());

        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await h.Channel.WaitForRootAsync("orphan01");
        Assert.Null((await h.Alerts.GetAsync("orphan01"))!.PendingEvent);
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        await h.SettleAsync(orphan);
        Assert.Single(h.EventsOf(AlertEventTypes.Fired));
    }
}
