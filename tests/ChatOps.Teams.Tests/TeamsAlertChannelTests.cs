using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;
using ChatOps.Teams.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Teams.Tests;

/// <summary>Alert threads in Teams at the wire: a new thread per alert, its card rewritten in place, replies in it, nothing lost under throttling.</summary>
public sealed class TeamsAlertChannelTests
{
    private const string Channel = "19:alerts@thread.tacv2";
    private const string Thread = "19:alerts@thread.tacv2;messageid=777";
    private static readonly AlertRoute Route = new("teams", Channel);

    [Fact]
    public async Task Opening_a_thread_starts_a_conversation_in_the_routes_channel_with_the_alert_card_and_its_buttons()
    {
        await using var rig = Rig(o => o.TenantId = "tenant-1");
        var card = Card(AlertState.Firing);

        var thread = await rig.Get<TeamsAlertChannel>().OpenThreadAsync(Route, card);
        var again = await rig.Get<TeamsAlertChannel>().OpenThreadAsync(Route, card);

        Assert.Equal(Thread, thread.Channel);
        Assert.Equal("777", thread.Thread);
        Assert.Equal(thread, again);
        var create = Assert.Single(rig.BotFramework.ConnectorRequests());
        Assert.Equal("POST", create.Method);
        Assert.Equal("/v3/conversations", create.Path);
        var body = FakeBotFramework.BodyOf(create);
        Assert.True((bool)body["isGroup"]!);
        Assert.Equal(Channel, (string?)body["channelData"]!["channel"]!["id"]);
        Assert.Equal("tenant-1", (string?)body["channelData"]!["tenant"]!["id"]);
        var content = body["activity"]!["attachments"]![0]!["content"]!;
        var facts = Facts(content);
        Assert.Equal("97.5", facts["Value"]);
        Assert.Equal("threshold > 90", facts["Condition"]);
        Assert.Equal("critical", facts["Severity"]);
        Assert.Equal("firing", facts["State"]);
        Assert.Equal("2026-01-02 03:04:05 UTC", facts["Since"]);
        var actions = content["actions"]!.AsArray();
        Assert.Equal(["Ack", "Resolve", "Run runbook", "Silence 1h"], actions.Select(a => (string?)a!["title"]));
        Assert.Equal(card.Actions.Select(a => a.Command), actions.Select(a => (string?)a!["data"]!["command"]));
        Assert.All(actions, a => Assert.Equal("alert", (string?)a!["data"]!["action"]));
    }

    [Fact]
    public async Task The_root_is_rewritten_in_place_and_replies_go_into_the_thread_once_per_dedupe_key()
    {
        await using var rig = Rig();
        var channel = rig.Get<TeamsAlertChannel>();
        var thread = await channel.OpenThreadAsync(Route, Card(AlertState.Firing));

        await channel.PostReplyAsync(thread, new AlertReply("👀 #a1 acknowledged by Bob.", "a1:acknowledged"));
        await channel.PostReplyAsync(thread, new AlertReply("👀 #a1 acknowledged by Bob.", "a1:acknowledged"));
        await channel.UpdateRootAsync(thread, Card(AlertState.Acknowledged, acknowledgedBy: "Bob"));

        var calls = rig.BotFramework.ConnectorRequests(Thread);
        Assert.Equal(2, calls.Count);
        Assert.Equal("POST", calls[0].Method);
        Assert.Equal($"/v3/conversations/{Thread}/activities/777", FakeBotFramework.Unescape(calls[0]));
        Assert.Equal("👀 #a1 acknowledged by Bob.", (string?)FakeBotFramework.BodyOf(calls[0])["text"]);
        Assert.Equal("PUT", calls[1].Method);
        Assert.Equal($"/v3/conversations/{Thread}/activities/777", FakeBotFramework.Unescape(calls[1]));
        var root = FakeBotFramework.BodyOf(calls[1]);
        Assert.Equal("777", (string?)root["id"]);
        Assert.Equal("Bob", Facts(root["attachments"]![0]!["content"]!)["Acknowledged by"]);
        Assert.DoesNotContain("\"title\":\"Ack\"", root.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_escalation_to_a_teams_user_is_a_real_mention_and_to_a_group_name_bold_text()
    {
        await using var rig = Rig();
        var channel = rig.Get<TeamsAlertChannel>();
        var thread = await channel.OpenThreadAsync(Route, Card(AlertState.Firing));

        await channel.PostReplyAsync(thread, new AlertReply("📣 29:oncall-user #a1 has been firing for 15 min", "a1:escalated:1", "29:oncall-user"));
        await channel.PostReplyAsync(thread, new AlertReply("📣 @oncall-web #a1 has been firing for 45 min", "a1:escalated:2", "@oncall-web"));

        var replies = rig.BotFramework.ConnectorRequests(Thread).Select(FakeBotFramework.BodyOf).ToList();
        Assert.Equal("📣 <at>29:oncall-user</at> #a1 has been firing for 15 min", (string?)replies[0]["text"]);
        var mention = replies[0]["entities"]![0]!;
        Assert.Equal("mention", (string?)mention["type"]);
        Assert.Equal("<at>29:oncall-user</at>", (string?)mention["text"]);
        Assert.Equal("29:oncall-user", (string?)mention["mentioned"]!["id"]);
        Assert.Equal("📣 **@oncall-web** #a1 has been firing for 45 min", (string?)replies[1]["text"]);
        Assert.Null(replies[1]["entities"]);
    }

    [Fact]
    public async Task Throttling_and_gateway_errors_are_waited_out_counted_and_the_reply_arrives_once()
    {
        await using var rig = Rig();
        var errors = new ConcurrentQueue<string>();
        var waits = new ConcurrentQueue<double>();
        using var listener = Listen(rig.Meter, errors, waits);
        var channel = rig.Get<TeamsAlertChannel>();
        var thread = await channel.OpenThreadAsync(Route, Card(AlertState.Firing));
        rig.BotFramework.Script((429, "3"), (412, null), (502, null), (504, null));

        await channel.PostReplyAsync(thread, new AlertReply("🔥 #a1 is firing", "a1:fired"));

        var calls = rig.BotFramework.ConnectorRequests(Thread);
        Assert.Equal(5, calls.Count);
        Assert.All(calls, c => Assert.Equal("🔥 #a1 is firing", (string?)FakeBotFramework.BodyOf(c)["text"]));
        var retries = rig.Pause.Waits.Where(w => w.Reason == PauseReason.Retry).ToList();
        Assert.Equal(4, retries.Count);
        Assert.Equal(TimeSpan.FromSeconds(3), retries[0].Delay);
        Assert.All(retries.Skip(1), w => Assert.InRange(w.Delay, TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(24)));
        Assert.Equal(["412", "429", "502", "504"], errors.Order());
        Assert.Equal([3.0], waits);
    }

    [Fact]
    public async Task A_burst_of_new_alerts_under_throttling_opens_every_thread_paced_under_the_per_thread_limits()
    {
        await using var rig = Rig();
        var channel = rig.Get<TeamsAlertChannel>();
        rig.BotFramework.Script((429, "2"), (412, null), (502, null), (504, null));

        var threads = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            channel.OpenThreadAsync(Route, Card(AlertState.Firing) with { AlertId = $"burst-{i}" })));

        Assert.All(threads, t => Assert.Equal(Thread, t.Channel));
        var creates = rig.BotFramework.ConnectorRequests().Where(r => r.Path == "/v3/conversations").ToList();
        Assert.Equal(34, creates.Count);
        var opened = creates.Select(r => (string)FakeBotFramework.BodyOf(r)["activity"]!["attachments"]![0]!["content"]!["actions"]![0]!["data"]!["alertId"]!).ToHashSet();
        Assert.Equal(30, opened.Count);
        Assert.Contains(rig.Pause.Waits, w => w.Reason == PauseReason.Pacing);
        Assert.Equal(4, rig.Pause.Waits.Count(w => w.Reason == PauseReason.Retry));
    }

    [Fact]
    public async Task A_reply_the_connector_refuses_throws_and_a_retry_of_it_is_posted()
    {
        await using var rig = Rig();
        var errors = new ConcurrentQueue<string>();
        using var listener = Listen(rig.Meter, errors, new ConcurrentQueue<double>());
        var channel = rig.Get<TeamsAlertChannel>();
        var thread = await channel.OpenThreadAsync(Route, Card(AlertState.Firing));
        rig.BotFramework.Script((403, null));

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => channel.PostReplyAsync(thread, new AlertReply("🔥 #a1 is firing", "a1:fired")));
        await channel.PostReplyAsync(thread, new AlertReply("🔥 #a1 is firing", "a1:fired"));

        Assert.Equal("http_403", error.ErrorCode);
        Assert.Equal([403, 200], rig.BotFramework.Server.LogEntries.Where(e => e.RequestMessage.Path.Contains("777", StringComparison.Ordinal))
            .Select(e => (int)e.ResponseMessage.StatusCode!));
        Assert.Equal(["403"], errors);
    }

    [Fact]
    public async Task A_route_channel_that_is_not_a_teams_channel_is_refused_before_anything_is_sent()
    {
        await using var rig = Rig();

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => rig.Get<TeamsAlertChannel>().OpenThreadAsync(new AlertRoute("teams", "ops"), Card(AlertState.Firing)));
        var noDefault = await Assert.ThrowsAsync<ChatDeliveryException>(() => rig.Get<TeamsAlertChannel>().OpenThreadAsync(new AlertRoute("teams", "default"), Card(AlertState.Firing)));

        Assert.Equal("bad_channel", error.ErrorCode);
        Assert.Equal("no_alert_channel", noDefault.ErrorCode);
        Assert.Empty(rig.BotFramework.ConnectorRequests());
    }

    [Fact]
    public async Task The_alert_channel_is_registered_for_the_notifier()
    {
        await using var rig = Rig();

        var channels = rig.Get<IEnumerable<IAlertChannel>>();

        Assert.Same(rig.Get<TeamsAlertChannel>(), Assert.Single(channels, c => c.Platform == "teams"));
    }

    private static Dictionary<string, string> Facts(JsonNode card) =>
        card["body"]!.AsArray().Where(b => (string?)b!["type"] == "FactSet").SelectMany(b => b!["facts"]!.AsArray())
            .ToDictionary(f => (string)f!["title"]!, f => (string)f!["value"]!);

    private static ConnectorRig Rig(Action<TeamsOptions>? configure = null)
    {
        var rig = new ConnectorRig(configure);
        rig.Get<TeamsOptions>().ServiceUrl = rig.BotFramework.ServiceUrl;
        return rig;
    }

    private static MeterListener Listen(ChatOps.Core.Observability.ChatOpsMeter meter, ConcurrentQueue<string> errors, ConcurrentQueue<double> waits)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument, meter.ChatApiErrors) || ReferenceEquals(instrument, meter.ChatRateLimitWaits)) l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            if (all.Any(t => t is { Key: "platform", Value: "teams" })) errors.Enqueue((string)all.Single(t => t.Key == "error").Value!);
        });
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t is { Key: "platform", Value: "teams" })) waits.Enqueue(value);
        });
        listener.Start();
        return listener;
    }

    private static AlertCard Card(AlertState state, string? acknowledgedBy = null)
    {
        IReadOnlyList<AlertAction> actions = state == AlertState.Firing
            ?
            [
                new(AlertActionKind.Acknowledge, "Ack", "ack a1"),
                new(AlertActionKind.Resolve, "Resolve", "resolve a1"),
                new(AlertActionKind.RunRunbook, "Run runbook", "restart web-1 nginx"),
                new(AlertActionKind.Silence, "Silence 1h", "silence web-1 1h --rule cpu-high \"from alert a1\""),
            ]
            : [new(AlertActionKind.Resolve, "Resolve", "resolve a1")];
        return new AlertCard("a1", "fp1", "cpu-high", "web-1", AlertSeverity.Critical, state, "🔴 CRITICAL · cpu-high on web-1 · " + state.ToString().ToUpperInvariant(),
            "97.5", "threshold > 90", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), null, acknowledgedBy, "text", actions);
    }
}
