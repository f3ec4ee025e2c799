using System.Text.Json.Nodes;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;
using ChatOps.Teams.Tests.Support;
using WireMock;
using WireMock.Server;

namespace ChatOps.Teams.Tests;

/// <summary>The notifier's view of Teams: replies in the thread, batched output, the command card updated in place, nothing lost under throttling.</summary>
public sealed class TeamsChatClientTests
{
    private const string Conversation = "19:ops@thread.tacv2;messageid=42";

    [Fact]
    public async Task A_burst_of_output_under_429s_arrives_complete_in_order_and_batched()
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((429, "1"), (429, null));
        var thread = rig.Thread(Conversation, requestId: "req1");

        for (var i = 0; i < 40; i++)
            await rig.Chat.PostReplyAsync(thread, new ChatReply($"line-{i:00}\n", ReplyKind.Output, $"req1:out:{i}"));

        var delivered = await WaitForDeliveredTextAsync(rig.BotFramework.Server, text => text.Contains("line-39", StringComparison.Ordinal));
        var lines = delivered.SelectMany(t => t.Split('\n')).Where(l => l.StartsWith("line-", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"line-{i:00}"), lines);
        Assert.True(delivered.Count < 40, $"output should be batched, but took {delivered.Count} messages");
        Assert.All(delivered, text => Assert.StartsWith("```\n", text, StringComparison.Ordinal));
        Assert.Contains(rig.Pause.Waits, w => w.Reason == PauseReason.Retry && w.Delay == TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_reply_with_a_dedupe_key_seen_before_is_not_posted_again()
    {
        await using var rig = new ConnectorRig();
        var thread = rig.Thread(Conversation);

        await rig.Chat.PostReplyAsync(thread, new ChatReply("▶️ #req1 is running", ReplyKind.Status, "req1:dispatched"));
        await rig.Chat.PostReplyAsync(thread, new ChatReply("▶️ #req1 is running", ReplyKind.Status, "req1:dispatched"));
        await rig.Chat.PostReplyAsync(thread, new ChatReply("✅ #req1 finished", ReplyKind.Status, "req1:done"));

        var texts = await WaitForDeliveredTextAsync(rig.BotFramework.Server, t => t.Contains("finished", StringComparison.Ordinal));
        Assert.Equal(["▶️ #req1 is running", "✅ #req1 finished"], texts);
    }

    [Fact]
    public async Task Replies_go_into_the_thread_as_replies_to_the_users_message()
    {
        await using var rig = new ConnectorRig();

        await rig.Chat.PostReplyAsync(rig.Thread(Conversation, replyTo: "1700000000123"), new ChatReply("hello", ReplyKind.Status, "k1"));

        var post = Assert.Single(await rig.BotFramework.WaitForAsync(r => r.Path.StartsWith("/v3/", StringComparison.Ordinal)));
        Assert.Equal($"/v3/conversations/{Conversation}/activities/1700000000123", FakeBotFramework.Unescape(post));
        var body = FakeBotFramework.BodyOf(post);
        Assert.Equal("1700000000123", (string?)body["replyToId"]);
        Assert.Equal("markdown", (string?)body["textFormat"]);
        Assert.Equal("28:" + FakeBotFramework.AppId, (string?)body["from"]!["id"]);
    }

    [Fact]
    public async Task The_final_result_updates_the_command_card_in_place()
    {
        await using var rig = new ConnectorRig();
        var thread = rig.Thread(Conversation, rootActivityId: "card-1", requestId: "req1");

        await rig.Chat.PostReplyAsync(thread, new ChatReply("✅ #req1 finished on `web-1`", ReplyKind.Status, "req1:done"));
        await rig.Chat.UpdateCommandAsync(thread, new CommandView("req1", "web-1", "run uptime on web-1", "Alice", CommandState.Succeeded, 0, TimeSpan.FromSeconds(1.5), null));

        var calls = await rig.BotFramework.WaitForAsync(r => r.Method == "PUT");
        var put = Assert.Single(calls);
        Assert.Equal($"/v3/conversations/{Conversation}/activities/card-1", FakeBotFramework.Unescape(put));
        var body = FakeBotFramework.BodyOf(put);
        Assert.Equal("card-1", (string?)body["id"]);
        var card = body["attachments"]![0]!["content"]!.ToJsonString();
        Assert.Contains("succeeded", card, StringComparison.Ordinal);
        Assert.Contains("\"title\":\"Exit code\",\"value\":\"0\"", card, StringComparison.Ordinal);
        Assert.Contains("1.5 s", card, StringComparison.Ordinal);
        Assert.DoesNotContain("Action.Submit", card, StringComparison.Ordinal);
        var order = rig.BotFramework.ConnectorRequests().Select(r => r.Method).ToList();
        Assert.Equal(["POST", "PUT"], order);
    }

    [Fact]
    public async Task Updates_queued_behind_a_throttled_send_collapse_into_one_put_of_the_latest_state()
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((429, "2"));
        var thread = rig.Thread(Conversation, rootActivityId: "card-1", requestId: "req1");

        await rig.Chat.PostReplyAsync(thread, new ChatReply("▶️ running", ReplyKind.Status, "req1:dispatched"));
        await rig.Chat.UpdateCommandAsync(thread, new CommandView("req1", "web-1", "run uptime on web-1", "Alice", CommandState.Running, null, null, null));
        await rig.Chat.UpdateCommandAsync(thread, new CommandView("req1", "web-1", "run uptime on web-1", "Alice", CommandState.Succeeded, 0, TimeSpan.FromSeconds(1), null));
        await rig.Chat.PostReplyAsync(thread, new ChatReply("barrier", ReplyKind.Status, "barrier"));

        await WaitForDeliveredTextAsync(rig.BotFramework.Server, t => t == "barrier");
        var puts = rig.BotFramework.ConnectorRequests().Where(r => r.Method == "PUT").ToList();
        Assert.InRange(puts.Count, 1, 2);
        Assert.Contains("succeeded", FakeBotFramework.BodyOf(puts[^1]).ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_card_id_the_result_is_posted_once_as_a_new_card()
    {
        await using var rig = new ConnectorRig();
        var thread = rig.Thread(Conversation, rootActivityId: null, requestId: "req9");

        await rig.Chat.UpdateCommandAsync(thread, new CommandView("req9", "web-1", "run uptime on web-1", "Alice", CommandState.Running, null, null, null));
        await rig.Chat.UpdateCommandAsync(thread, new CommandView("req9", "web-1", "run uptime on web-1", "Alice", CommandState.Failed, 3, TimeSpan.FromSeconds(2), null));
        await rig.Chat.PostReplyAsync(thread, new ChatReply("barrier", ReplyKind.Status, "barrier"));

        await WaitForDeliveredTextAsync(rig.BotFramework.Server, t => t == "barrier");
        var sent = rig.BotFramework.ConnectorRequests();
        Assert.Equal(2, sent.Count);
        var card = FakeBotFramework.BodyOf(sent[0]).ToJsonString();
        Assert.Contains("failed", card, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"3\"", card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_burst_into_one_conversation_is_paced_under_the_per_thread_limit()
    {
        await using var rig = new ConnectorRig();
        var thread = rig.Thread(Conversation);

        for (var i = 0; i < 10; i++)
            await rig.Chat.PostReplyAsync(thread, new ChatReply($"status {i}", ReplyKind.Status, $"k{i}"));

        var texts = await WaitForDeliveredTextAsync(rig.BotFramework.Server, t => t == "status 9");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"status {i}"), texts);
        Assert.Contains(rig.Pause.Waits, w => w.Reason == PauseReason.Pacing);
        Assert.DoesNotContain(rig.Pause.Waits, w => w.Reason == PauseReason.Retry);
    }

    [Fact]
    public async Task An_undeliverable_message_is_logged_and_does_not_block_the_conversation()
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((403, null));
        var thread = rig.Thread(Conversation);

        await rig.Chat.PostReplyAsync(thread, new ChatReply("refused", ReplyKind.Status, "k1"));
        await rig.Chat.PostReplyAsync(thread, new ChatReply("next", ReplyKind.Status, "k2"));

        await WaitForDeliveredTextAsync(rig.BotFramework.Server, t => t == "next");
        Assert.Contains(rig.Logs.Lines, l => l.Contains("could not be delivered", StringComparison.Ordinal) && l.Contains("403", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_thread_with_an_untrusted_service_url_is_refused_before_anything_is_sent()
    {
        await using var rig = new ConnectorRig();
        using var attacker = WireMockServer.Start();
        var thread = rig.Thread(Conversation) with
        {
            Extra = new Dictionary<string, string> { [TeamsChatClient.ServiceUrlKey] = attacker.Url + "/" },
        };

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => rig.Chat.PostReplyAsync(thread, new ChatReply("x", ReplyKind.Status, "k")));

        Assert.Equal("untrusted_service_url", error.ErrorCode);
        Assert.Empty(attacker.LogEntries);
    }

    [Fact]
    public async Task An_approval_card_offers_approve_and_deny_for_the_exact_command()
    {
        await using var rig = new ConnectorRig();

        await rig.Chat.PostApprovalRequestAsync(rig.Thread(Conversation), new TeamsApprovalCard("cmd-5", "restart web-1 nginx", "web-1", "Alice"));

        var post = Assert.Single(await rig.BotFramework.WaitForAsync(r => r.Path.StartsWith("/v3/", StringComparison.Ordinal)));
        var content = FakeBotFramework.BodyOf(post)["attachments"]![0]!["content"]!;
        Assert.Equal("AdaptiveCard", (string?)content["type"]);
        var actions = content["actions"]!.AsArray();
        Assert.Equal(["approve", "deny"], actions.Select(a => (string?)a!["data"]!["action"]));
        Assert.All(actions, a => Assert.Equal("cmd-5", (string?)a!["data"]!["commandId"]));
        Assert.Contains("restart web-1 nginx", content.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_awaiting_approval_gets_one_approval_card_which_the_decision_rewrites_without_buttons()
    {
        await using var rig = new ConnectorRig();
        var thread = rig.Thread(Conversation, requestId: "req9", replyTo: "user-msg-9");
        var waiting = new CommandView("req9", "web-1", "restart web-1 nginx", "Alice", CommandState.AwaitingApproval, null, null, null);

        await rig.Chat.PostReplyAsync(thread, new ChatReply("🔐 #req9 needs approval", ReplyKind.Status, "req9:approval:requested"));
        await rig.Chat.UpdateCommandAsync(thread, waiting);
        await rig.Chat.UpdateCommandAsync(thread, waiting);
        var posted = await rig.BotFramework.WaitForAsync(r => r.Method == "POST" && r.Body!.Contains("Approval needed", StringComparison.Ordinal));
        await rig.Chat.PostReplyAsync(thread, new ChatReply("✅ #req9 approved by Bob; it runs now.", ReplyKind.Status, "req9:approval:approved"));

        var card = Assert.Single(posted);
        Assert.Equal($"/v3/conversations/{Conversation}/activities/user-msg-9", FakeBotFramework.Unescape(card));
        var actions = FakeBotFramework.BodyOf(card)["attachments"]![0]!["content"]!["actions"]!.AsArray();
        Assert.Equal(["approve", "deny"], actions.Select(a => (string?)a!["data"]!["action"]));
        var cardId = await CardIdAsync(rig.BotFramework.Server, card);
        var rewrite = Assert.Single(await rig.BotFramework.WaitForAsync(r => r.Method == "PUT" && r.Body!.Contains("Approval decided", StringComparison.Ordinal)));
        Assert.Equal($"/v3/conversations/{Conversation}/activities/{cardId}", FakeBotFramework.Unescape(rewrite));
        var content = FakeBotFramework.BodyOf(rewrite)["attachments"]![0]!["content"]!;
        Assert.Null(content["actions"]);
        Assert.Contains("approved by Bob", content.ToJsonString(), StringComparison.Ordinal);
        Assert.Single(rig.BotFramework.ConnectorRequests(), r => r.Body!.Contains("Approval needed", StringComparison.Ordinal));
    }

    private static async Task<string> CardIdAsync(WireMockServer server, IRequestMessage post)
    {
        var entry = (await FakeBotFramework.WaitForEntriesAsync(server, e => ReferenceEquals(e.RequestMessage, post)))[0];
        return (string)JsonNode.Parse(entry.ResponseMessage.BodyData!.BodyAsString!)!["id"]!;
    }

    /// <summary>The texts of the messages the connector accepted (200), in order, once one satisfies <paramref name="last"/>.</summary>
    private static async Task<List<string>> WaitForDeliveredTextAsync(WireMockServer server, Func<string, bool> last)
    {
        bool Delivered(IRequestMessage r) => r.Method == "POST" && r.Path.StartsWith("/v3/", StringComparison.Ordinal);
        string? TextOf(IRequestMessage r) => (string?)JsonNode.Parse(r.Body!)!["text"];
        await FakeBotFramework.WaitForEntriesAsync(server, e => Delivered(e.RequestMessage) && (int)e.ResponseMessage.StatusCode! == 200 && TextOf(e.RequestMessage) is { } t && last(t));
        return server.LogEntries
            .Where(e => Delivered(e.RequestMessage) && (int)e.ResponseMessage.StatusCode! == 200)
            .Select(e => TextOf(e.RequestMessage))
            .OfType<string>()
            .ToList();
    }
}
