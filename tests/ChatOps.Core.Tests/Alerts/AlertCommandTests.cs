using Microsoft.Extensions.DependencyInjection;
using ChatOps.Core.Alerts;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Tests.Alerts;

/// <summary><c>alerts</c>, <c>ack</c>, <c>resolve</c>, <c>silence</c> through the normal intake, and what the thread shows.</summary>
public sealed class AlertCommandTests
{
    [Fact]
    public async Task The_root_shows_severity_value_threshold_since_and_the_four_actions()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(97.5);
        var alert = await h.ActiveAsync();
        await h.Channel.WaitForRootAsync(alert.Id);

        var root = Assert.Single(h.Channel.Roots(alert.Id));
        Assert.Equal(ChatOps.Core.Alerts.Rules.AlertSeverity.Critical, root.Severity);
        Assert.Contains("CRITICAL", root.Text);
        Assert.Contains("cpu_percent = 97.5 (threshold > 90)", root.Text);
        Assert.Contains("since 2026-11-27 12:00:00 UTC", root.Text);
        Assert.Equal(
            [(AlertActionKind.Acknowledge, $"ack {alert.Id}"), (AlertActionKind.Resolve, $"resolve {alert.Id}"),
             (AlertActionKind.RunRunbook, "restart web-1 nginx"), (AlertActionKind.Silence, $"silence web-1 1h --rule cpu-high \"from alert {alert.Id}\"")],
            root.Actions.Select(a => (a.Kind, a.Command)));
    }

    [Fact]
    public async Task Every_action_button_is_a_command_the_parser_accepts()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(97.5);
        var alert = await h.ActiveAsync();
        await h.Channel.WaitForRootAsync(alert.Id);

        var parser = new ChatOps.Core.Commands.CommandParser(new ChatOps.Core.Commands.BuiltInCatalog(includeAlerts: true));
        foreach (var action in h.Channel.Roots(alert.Id)[0].Actions)
            Assert.IsType<ChatOps.Core.Commands.ParseSuccess>(parser.Parse(action.Command));
    }

    [Fact]
    public async Task Ack_replies_in_the_thread_and_updates_the_root_in_place()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        await h.Channel.WaitForRootAsync(alert.Id);

        var answer = await h.SayAsync($"/chatops ack {alert.Id}");

        Assert.Contains($"Acknowledged alert #{alert.Id}", answer);
        await h.Channel.WaitForReplyAsync(alert.Id, "acknowledged by olivia");
        await h.SettleAsync(alert);
        var root = h.Channel.LastRoot(alert.Id);
        Assert.Equal(AlertState.Acknowledged, root!.State);
        Assert.Equal("olivia", root.AcknowledgedBy);
        Assert.DoesNotContain(root.Actions, a => a.Kind == AlertActionKind.Acknowledge);
        Assert.Contains("already acknowledged by olivia", await h.SayAsync($"ack {alert.Id}"));
    }

    [Fact]
    public async Task Ack_by_fingerprint_works_too()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();

        Assert.Contains($"Acknowledged alert #{alert.Id}", await h.SayAsync($"ack {alert.Fingerprint}"));
    }

    [Fact]
    public async Task Resolve_by_hand_posts_who_and_how_long()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();
        h.Time.Advance(TimeSpan.FromMinutes(12) + TimeSpan.FromSeconds(5));

        var answer = await h.SayAsync($"resolve {alert.Id}");

        Assert.Contains("after 12 min 5 s", answer);
        var reply = await h.Channel.WaitForReplyAsync(alert.Id, "resolved by olivia");
        Assert.Contains("after 12 min 5 s", reply.Text);
        await h.SettleAsync(alert);
        Assert.Equal(AlertState.Resolved, h.Channel.LastRoot(alert.Id)!.State);
        Assert.Empty(h.Channel.LastRoot(alert.Id)!.Actions);
    }

    [Fact]
    public async Task Viewers_may_list_alerts_but_not_ack_resolve_or_silence()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule());
        await h.ReportCpuAsync(95);
        var alert = await h.ActiveAsync();

        Assert.Contains($"#{alert.Id}", await h.SayAsync("alerts", AlertHarness.Viewer));
        foreach (var command in new[] { $"ack {alert.Id}", $"resolve {alert.Id}", "silence web-1 1h" })
            Assert.Contains("not allowed", await h.SayAsync(command, AlertHarness.Viewer));
        Assert.Equal(AlertState.Firing, (await h.ActiveAsync()).State);
        Assert.Empty(await h.Services.GetRequiredService<ISilenceStore>().ListCurrentAsync(h.Time.GetUtcNow()));
    }

    [Fact]
    public async Task Alerts_lists_open_alerts_by_target_and_bad_references_get_clear_answers()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule(target: "*"));
        Assert.Contains("No open alerts", await h.SayAsync("alerts"));
        await h.ReportCpuAsync(95, "web-1");
        await h.ReportCpuAsync(99, "db-1");

        var all = await h.SayAsync("alerts");
        var web = await h.SayAsync("alerts role:web");

        Assert.Contains("2 open alert(s)", all);
        Assert.Contains("cpu-high on db-1", all);
        Assert.Contains("cpu-high on web-1", web);
        Assert.DoesNotContain("db-1", web);
        Assert.Contains("There is no alert `nope`", await h.SayAsync("ack nope"));
        Assert.Contains("is not a duration", await h.SayAsync("silence web-1 soon"));
    }
}
