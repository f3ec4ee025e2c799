using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.Teams.Internal;
using ChatOps.Teams.Tests.Support;
using WireMock;

namespace ChatOps.Teams.Tests;

/// <summary>What a validated activity does: commands published with the sender's verified identity, replies in the thread, card clicks, redeliveries.</summary>
public sealed class MessagesEndpointTests(TeamsHost host) : IClassFixture<TeamsHost>
{
    [Fact]
    public async Task A_message_publishes_the_command_as_the_verified_user_and_posts_the_command_card_into_the_thread()
    {
        var conversation = NewConversation();
        var activity = host.Message(conversation, "1700000000001", "<at>ChatOps</at> run&nbsp;uptime on web-1", name: "Somebody Else Entirely");

        using var response = await host.PostAsync(activity, host.ValidToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = TeamsRequestIds.For(conversation, "1700000000001");
        var requested = Assert.Single(await host.CollectRequestedAsync(conversation, requestId));
        Assert.Equal("run uptime on web-1", requested.Text);
        Assert.Equal("alice", requested.Requester.UserId);
        Assert.Equal($"teams:{TeamsHost.Tenant}/{TeamsHost.AliceAad}", requested.Requester.Identity);
        Assert.Equal("teams", requested.ReplyTo.Platform);
        Assert.Equal("1700000000001", requested.ReplyTo.Thread);
        Assert.Equal(host.BotFramework.ServiceUrl, requested.ReplyTo.Get(TeamsChatClient.ServiceUrlKey));
        Assert.StartsWith("bot-activity-", requested.ReplyTo.Get(TeamsChatClient.RootActivityIdKey), StringComparison.Ordinal);

        var card = Assert.Single(await host.BotFramework.WaitForAsync(In(conversation)));
        Assert.Equal("POST", card.Method);
        Assert.EndsWith($"/v3/conversations/{conversation}/activities/1700000000001", FakeBotFramework.Unescape(card), StringComparison.Ordinal);
        Assert.Equal("Bearer " + FakeBotFramework.AccessToken, card.Headers!["Authorization"].Single());
        var body = FakeBotFramework.BodyOf(card);
        Assert.Equal("1700000000001", (string?)body["replyToId"]);
        var attachment = body["attachments"]![0]!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", (string?)attachment["contentType"]);
        Assert.Contains("#" + requestId, attachment["content"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("\"action\":\"cancel\"", attachment["content"]!.ToJsonString(), StringComparison.Ordinal);

        var token = host.BotFramework.Server.LogEntries.Select(e => e.RequestMessage).First(r => r.Path.EndsWith("/token", StringComparison.Ordinal));
        Assert.Contains("grant_type=client_credentials", token.Body, StringComparison.Ordinal);
        Assert.Contains("client_id=" + FakeBotFramework.AppId, token.Body, StringComparison.Ordinal);
        Assert.Contains("scope=https%3A%2F%2Fapi.botframework.com%2F.default", token.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redelivered_activity_runs_once_and_posts_one_card()
    {
        var conversation = NewConversation();
        var activity = host.Message(conversation, "retried-1", "run uptime on web-1");

        using var first = await host.PostAsync(activity, host.ValidToken());
        using var second = await host.PostAsync(activity, host.ValidToken());
        using var barrier = await host.PostAsync(host.Message(conversation, "barrier", "run uptime on web-1"), host.ValidToken());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var requested = await host.CollectRequestedAsync(conversation, TeamsRequestIds.For(conversation, "barrier"));
        Assert.Equal([TeamsRequestIds.For(conversation, "retried-1"), TeamsRequestIds.For(conversation, "barrier")], requested.Select(r => r.RequestId));
        var sent = await host.BotFramework.WaitForAsync(In(conversation), count: 2);
        Assert.Equal(["retried-1", "barrier"], sent.Select(r => FakeBotFramework.Unescape(r).Split('/')[^1]));
        Assert.Contains(host.Logs.Lines, l => l.Contains("retried-1 was delivered again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unmapped_user_is_told_so_in_the_thread_and_nothing_is_published_whatever_name_they_use()
    {
        var conversation = NewConversation();
        var activity = host.Message(conversation, "who-1", "run uptime on web-1", aad: TeamsHost.StrangerAad, name: "Root");

        using var response = await host.PostAsync(activity, host.ValidToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = Assert.Single(await host.BotFramework.WaitForAsync(In(conversation)));
        var text = (string?)FakeBotFramework.BodyOf(reply)["text"];
        Assert.Contains("not mapped", text, StringComparison.Ordinal);
        Assert.Contains($"teams:{TeamsHost.Tenant}/{TeamsHost.StrangerAad}", text, StringComparison.Ordinal);
        await AssertNothingPublishedBeforeBarrierAsync(conversation);
    }

    [Fact]
    public async Task An_identity_linked_in_the_bootstrap_form_teams_aad_is_found()
    {
        var conversation = NewConversation();

        await host.PostAsync(host.Message(conversation, "root-1", "run uptime on web-1", aad: TeamsHost.RootAad), host.ValidToken());

        var requested = Assert.Single(await host.CollectRequestedAsync(conversation, TeamsRequestIds.For(conversation, "root-1")));
        Assert.Equal("root", requested.Requester.UserId);
    }

    [Fact]
    public async Task A_viewer_is_refused_an_operator_command_with_a_reply_and_nothing_is_published()
    {
        var conversation = NewConversation();

        await host.PostAsync(host.Message(conversation, "vic-1", "restart web-1 nginx", aad: TeamsHost.VicAad), host.ValidToken());

        var reply = Assert.Single(await host.BotFramework.WaitForAsync(In(conversation)));
        Assert.Contains("not allowed to run `restart`", (string?)FakeBotFramework.BodyOf(reply)["text"], StringComparison.Ordinal);
        await AssertNothingPublishedBeforeBarrierAsync(conversation);
    }

    [Fact]
    public async Task A_built_in_is_answered_with_a_text_reply_to_the_message()
    {
        var conversation = NewConversation();

        await host.PostAsync(host.Message(conversation, "whoami-1", "<at>ChatOps</at> whoami"), host.ValidToken());

        var reply = Assert.Single(await host.BotFramework.WaitForAsync(In(conversation)));
        Assert.EndsWith("/activities/whoami-1", FakeBotFramework.Unescape(reply), StringComparison.Ordinal);
        var body = FakeBotFramework.BodyOf(reply);
        Assert.Equal("whoami-1", (string?)body["replyToId"]);
        Assert.Contains($"signed in as `teams:{TeamsHost.Tenant}/{TeamsHost.AliceAad}`", (string?)body["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancel_click_runs_cancel_through_intake_as_the_clicking_user()
    {
        var conversation = NewConversation();
        var click = Click(conversation, "click-1", new JsonObject { ["action"] = "cancel", ["commandId"] = "nosuch42" });

        await host.PostAsync(click, host.ValidToken());

        var reply = Assert.Single(await host.BotFramework.WaitForAsync(In(conversation)));
        Assert.Equal("There is no command #nosuch42.", (string?)FakeBotFramework.BodyOf(reply)["text"]);
    }

    [Fact]
    public async Task A_cancel_click_with_something_else_than_an_id_runs_nothing()
    {
        var conversation = NewConversation();
        var click = Click(conversation, "click-2", new JsonObject { ["action"] = "cancel", ["commandId"] = "x restart web-1 nginx" });

        await host.PostAsync(click, host.ValidToken());

        var reply = Assert.Single(await host.BotFramework.WaitForAsync(In(conversation)));
        Assert.Contains("names no valid command id", (string?)FakeBotFramework.BodyOf(reply)["text"], StringComparison.Ordinal);
        await AssertNothingPublishedBeforeBarrierAsync(conversation);
    }

    [Fact]
    public async Task A_click_by_an_unmapped_user_is_told_so()
    {
        var conversation = NewConversation();
        var click = Click(conversation, "click-3", new JsonObject { ["action"] = "approve", ["commandId"] = "abc" }, aad: TeamsHost.StrangerAad);

        await host.PostAsync(click, host.ValidToken());

        var reply = Assert.Single(await host.BotFramework.WaitForAsync(In(conversation)));
        Assert.Contains("not mapped", (string?)FakeBotFramework.BodyOf(reply)["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_adaptive_card_invoke_is_answered_in_the_response()
    {
        var conversation = NewConversation();
        var invoke = host.Message(conversation, "invoke-1", "");
        invoke["type"] = "invoke";
        invoke["name"] = "adaptiveCard/action";
        invoke["value"] = new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = "cancel", ["data"] = new JsonObject { ["commandId"] = "nosuch7" } } };

        using var response = await host.PostAsync(invoke, host.ValidToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(200, (int)body["statusCode"]!);
        Assert.Equal("application/vnd.microsoft.activity.message", (string?)body["type"]);
        Assert.Equal("There is no command #nosuch7.", (string?)body["value"]);
    }

    [Fact]
    public async Task An_invoke_nobody_handles_gets_501_and_other_activity_types_get_200()
    {
        var conversation = NewConversation();
        var invoke = host.Message(conversation, "invoke-2", "");
        invoke["type"] = "invoke";
        invoke["name"] = "task/fetch";
        var update = host.Message(conversation, "update-1", "");
        update["type"] = "conversationUpdate";

        using var invoked = await host.PostAsync(invoke, host.ValidToken());
        using var updated = await host.PostAsync(update, host.ValidToken());

        Assert.Equal(HttpStatusCode.NotImplemented, invoked.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        await AssertNothingPublishedBeforeBarrierAsync(conversation);
    }

    [Fact]
    public async Task Bad_bodies_get_clear_4xx_answers()
    {
        var conversation = NewConversation();
        var token = "Bearer " + host.ValidToken();
        var valid = host.Message(conversation, "bad-1", "run uptime on web-1").ToJsonString();
        var deep = valid[..^1] + ",\"deep\":" + new string('[', 100) + new string(']', 100) + "}";
        var duplicate = valid[..^1] + ",\"type\":\"message\"}";
        var huge = valid[..^1] + ",\"padding\":\"" + new string('x', 300 * 1024) + "\"}";
        var untyped = valid.Replace("\"type\":\"message\",", "", StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, (await host.PostRawAsync(deep, token)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.PostRawAsync(duplicate, token)).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await host.PostRawAsync(huge, token)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.PostRawAsync(untyped, token)).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await host.PostRawAsync(valid, token, "text/plain")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.PostRawAsync("{not json", token)).StatusCode);
        await AssertNothingPublishedBeforeBarrierAsync(conversation);
    }

    [Fact]
    public void Fields_we_do_not_know_are_kept()
    {
        var json = host.Message("19:x@thread.tacv2", "1", "hi").ToJsonString();

        var activity = JsonSerializer.Deserialize<Activity>(Encoding.UTF8.GetBytes(json), ChatOps.Core.Events.ChatOpsJson.Options)!;

        Assert.Equal(42, activity.ExtensionData!["someFieldFromTheFuture"].GetInt32());
        Assert.True(activity.ChannelData!.ExtensionData!["futureField"].GetProperty("kept").GetBoolean());
        Assert.Equal(TeamsHost.Tenant, activity.TenantId);
    }

    private JsonObject Click(string conversation, string id, JsonObject value, string aad = TeamsHost.AliceAad)
    {
        var click = host.Message(conversation, id, "", aad: aad);
        click.Remove("text");
        click["value"] = value;
        click["replyToId"] = "bot-activity-card";
        return click;
    }

    private async Task AssertNothingPublishedBeforeBarrierAsync(string conversation)
    {
        using var barrier = await host.PostAsync(host.Message(conversation, "barrier", "run uptime on web-1"), host.ValidToken());
        Assert.Equal(HttpStatusCode.OK, barrier.StatusCode);
        var requested = await host.CollectRequestedAsync(conversation, TeamsRequestIds.For(conversation, "barrier"));
        Assert.Equal([TeamsRequestIds.For(conversation, "barrier")], requested.Select(r => r.RequestId));
    }

    private static Func<IRequestMessage, bool> In(string conversation) =>
        r => r.Path.StartsWith("/v3/", StringComparison.Ordinal) && FakeBotFramework.Unescape(r).Contains(conversation, StringComparison.Ordinal);

    private static string NewConversation() => $"19:{Guid.NewGuid():N}@thread.tacv2;messageid=1700000000000";
}
