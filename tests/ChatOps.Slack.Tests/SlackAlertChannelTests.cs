using System.Text.Json;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>
/// Alert threads in Slack: the root card in Block Kit with the alert's buttons, updated in place,
/// replies in its thread once each, and the buttons running their command as the clicking user.
/// </summary>
public sealed class SlackAlertChannelTests : IAsyncLifetime
{
    private static readonly AlertRoute Route = new("slack", Channel);
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private IAlertChannel SlackChannel => _host.Get<IEnumerable<IAlertChannel>>().Single(c => c.Platform == "slack");

    [Fact]
    public void The_alert_notifier_finds_the_slack_channel_beside_the_web_one()
    {
        var channels = _host.Get<IEnumerable<IAlertChannel>>().Select(c => c.Platform).ToList();

        Assert.Contains("slack", channels);
        Assert.Contains("web", channels);
        Assert.IsType<SlackAlertChannel>(SlackChannel);
        Assert.NotNull(_host.Get<AlertNotifier>());
    }

    [Fact]
    public async Task Opening_an_alert_posts_one_root_with_its_card_and_buttons_even_when_asked_twice()
    {
        var card = AlertCards.For(Alert("al0open01", AlertState.Firing));

        var threads = await Task.WhenAll(SlackChannel.OpenThreadAsync(Route, card), SlackChannel.OpenThreadAsync(Route, card));

        var root = Assert.Single(_host.Slack.Delivered("chat.postMessage"));
        Assert.Null(root.ThreadTs);
        Assert.Equal(Channel, root.Channel);
        Assert.All(threads, t => Assert.Equal(threads[0], t, ThreadComparer));
        Assert.Equal("slack", threads[0].Platform);
        Assert.Equal(Channel, threads[0].Channel);
        Assert.NotNull(threads[0].Thread);
        Assert.Contains("WARNING · cpu-high on web-1 · FIRING", root.BlockText);
        Assert.Contains("*Severity:*\nwarning", root.BlockText);
        Assert.Contains("*Value:*\n93.5", root.BlockText);
        Assert.Contains("*Condition:*\nthreshold &gt; 90", root.BlockText);
        Assert.Contains("*Since:*\n2026-11-28 01:00:00 UTC", root.BlockText);
        Assert.Equal(
            [("alert_ack", "ack al0open01"), ("alert_resolve", "resolve al0open01"), ("alert_runbook", "run web-1 uptime"),
             ("alert_silence", "silence web-1 1h --rule cpu-high \"from alert al0open01\"")],
            Buttons(root.BlocksJson));
    }

    [Fact]
    public async Task The_root_is_updated_in_place_and_a_resolved_card_is_never_brought_back()
    {
        var thread = await SlackChannel.OpenThreadAsync(Route, AlertCards.For(Alert("al0upd001", AlertState.Firing)));

        await SlackChannel.UpdateRootAsync(thread, AlertCards.For(Alert("al0upd001", AlertState.Acknowledged) with { AcknowledgedBy = "Alice" }));
        var acknowledged = await _host.Slack.WaitForDeliveredAsync("chat.update", c => c.BlockText.Contains("Acknowledged by", StringComparison.Ordinal));
        var resolved = Alert("al0upd001", AlertState.Resolved) with { ResolvedAt = Fired.AddMinutes(4).AddSeconds(5), AcknowledgedBy = "Alice" };
        await SlackChannel.UpdateRootAsync(thread, AlertCards.For(resolved));
        await SlackChannel.UpdateRootAsync(thread, AlertCards.For(Alert("al0upd001", AlertState.Firing)));
        var updates = await _host.Slack.WaitForAsync(c => c.Count(x => x.Method == "chat.update" && x.Delivered) >= 3);

        Assert.Equal(thread.Thread, acknowledged.Get("ts"));
        Assert.Contains("*Acknowledged by:*\nAlice", acknowledged.BlockText);
        Assert.DoesNotContain(("alert_ack", "ack al0upd001"), Buttons(acknowledged.BlocksJson));
        var last = updates.Last(c => c.Method == "chat.update");
        Assert.Contains("RESOLVED", last.BlockText);
        Assert.Contains("*Lasted:*\n4 min 5 s", last.BlockText);
        Assert.Empty(Buttons(last.BlocksJson));
    }

    [Fact]
    public async Task Replies_go_into_the_thread_once_each_with_the_mention_as_a_real_slack_mention()
    {
        var thread = await SlackChannel.OpenThreadAsync(Route, AlertCards.For(Alert("al0rep001", AlertState.Firing)));

        await SlackChannel.PostReplyAsync(thread, new AlertReply("👀 #al0rep001 acknowledged by Alice.", "al0rep001:acknowledged"));
        await SlackChannel.PostReplyAsync(thread, new AlertReply("👀 #al0rep001 acknowledged by Alice.", "al0rep001:acknowledged"));
        await SlackChannel.PostReplyAsync(thread, new AlertReply("📣 U0ONCALL1 #al0rep001 has been firing for 15 min without an ack (call 1).", "al0rep001:escalated:1", "U0ONCALL1"));
        await SlackChannel.PostReplyAsync(thread, new AlertReply("📣 #al0rep001 still firing <!channel>", "al0rep001:escalated:2", "@oncall-web"));

        var replies = _host.Slack.Delivered("chat.postMessage").Where(c => c.ThreadTs is not null).ToList();
        Assert.Equal(3, replies.Count);
        Assert.All(replies, r => Assert.Equal(thread.Thread, r.ThreadTs));
        Assert.Single(replies, r => r.Text.Contains("acknowledged by Alice", StringComparison.Ordinal));
        Assert.StartsWith("📣 <@U0ONCALL1> #al0rep001 has been firing", replies[1].Text);
        // A handle Slack cannot resolve stays text; text from the alert never becomes markup.
        Assert.Equal("@oncall-web 📣 #al0rep001 still firing &lt;!channel&gt;", replies[2].Text);
    }

    [Fact]
    public async Task A_route_whose_channel_is_not_a_slack_channel_id_fails_clearly()
    {
        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => SlackChannel.OpenThreadAsync(new AlertRoute("slack", "#ops"), AlertCards.For(Alert("al0bad001", AlertState.Firing))));

        Assert.Equal("channel_not_found", error.ErrorCode);
        Assert.Contains("#ops", error.Message);
        Assert.Empty(_host.Slack.Calls.Snapshot);
    }

    [Fact]
    public async Task Clicking_ack_acknowledges_the_alert_as_the_clicking_user()
    {
        var alert = Alert("al0ack001", AlertState.Firing);
        Assert.True(await _host.Get<IAlertStore>().TryCreateAsync(alert));

        using var response = await _host.SendAsync(Signed("/slack/interactivity", ButtonPayload(Alice, "alert_ack", "ack al0ack001", "1700000030.000100", _host.Slack.ResponseUrl("ack"), "trig-alert-ack"), FormType));

        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains("Acknowledged alert #al0ack001", answer.Text);
        var stored = await _host.Get<IAlertStore>().GetAsync(alert.Id);
        Assert.Equal(AlertState.Acknowledged, stored!.State);
        Assert.Equal("Alice", stored.AcknowledgedBy);
    }

    [Fact]
    public async Task Clicking_run_runbook_queues_the_runbook_as_the_clicking_user_in_the_alert_thread()
    {
        const string alertRoot = "1700000040.000100";

        using var response = await _host.SendAsync(Signed("/slack/interactivity", ButtonPayload(Alice, "alert_runbook", "run web-1 uptime", alertRoot, _host.Slack.ResponseUrl("runbook"), "trig-runbook"), FormType));

        var requested = (await _host.Published.WaitUntilAsync(p => p.Any(e => e.Type == EventTypes.CommandRequested)))
            .Select(e => e.Read<CommandRequested>()).Single(r => r.Text == "run web-1 uptime");
        Assert.Equal("alice", requested.Requester.UserId);
        var root = await _host.Slack.WaitForDeliveredAsync("chat.postMessage", c => c.BlockText.Contains($"request #{requested.RequestId}", StringComparison.Ordinal));
        Assert.Equal(alertRoot, root.ThreadTs);
        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains($"Queued as #{requested.RequestId}", answer.Text);
    }

    private static readonly DateTimeOffset Fired = new(2026, 11, 28, 1, 0, 0, TimeSpan.Zero);

    private static readonly IEqualityComparer<ChatRef> ThreadComparer = EqualityComparer<ChatRef>.Create(
        (a, b) => a!.Platform == b!.Platform && a.Channel == b.Channel && a.Thread == b.Thread, r => r.Thread?.GetHashCode(StringComparison.Ordinal) ?? 0);

    private static AlertRecord Alert(string id, AlertState state) => new()
    {
        Id = id,
        Fingerprint = "fp-" + id,
        RuleName = "cpu-high",
        ServerId = "web-1",
        Condition = AlertCondition.Threshold,
        Severity = AlertSeverity.Warning,
        State = state,
        Value = 93.5,
        Terms = new AlertTerms("cpu_percent", AlertComparator.GreaterThan, 90, null, "CPU is high.", [Route], "run web-1 uptime", null),
        StartedAt = Fired,
        FiredAt = Fired,
        UpdatedAt = Fired,
    };

    private static List<(string ActionId, string Value)> Buttons(string blocksJson)
    {
        using var blocks = JsonDocument.Parse(blocksJson);
        return blocks.RootElement.EnumerateArray()
            .Where(b => b.GetProperty("type").GetString() == "actions")
            .SelectMany(b => b.GetProperty("elements").EnumerateArray())
            .Select(e => (e.GetProperty("action_id").GetString()!, e.GetProperty("value").GetString()!))
            .ToList();
    }
}
