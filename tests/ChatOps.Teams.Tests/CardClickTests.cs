using System.Text.Json.Nodes;
using ChatOps.Core.Approvals;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Teams.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using WireMock;

namespace ChatOps.Teams.Tests;

/// <summary>
/// Approve, Deny and alert buttons: each click runs the command it stands for through the intake, as
/// the clicking user (their verified AAD object id), so roles, self-approval and expiry are the core's.
/// </summary>
public sealed class CardClickTests(TeamsHost host) : IClassFixture<TeamsHost>
{
    [Fact]
    public async Task The_requester_clicking_Approve_is_refused_and_the_approval_stays_pending()
    {
        var conversation = NewConversation();
        var id = await PendingApprovalAsync(conversation, requester: "root");

        await host.PostAsync(Click(conversation, "click-self", Approve(id), TeamsHost.RootAad), host.ValidToken());

        Assert.Contains($"You cannot approve your own request #{id}", await ReplyTextAsync(conversation, "click-self"), StringComparison.Ordinal);
        Assert.Equal(ApprovalState.Pending, (await Approvals.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Someone_without_the_approver_role_clicking_Approve_is_refused()
    {
        var conversation = NewConversation();
        var id = await PendingApprovalAsync(conversation, requester: "root");

        await host.PostAsync(Click(conversation, "click-alice", Approve(id), TeamsHost.AliceAad), host.ValidToken());

        Assert.Contains("not allowed to run `approve`", await ReplyTextAsync(conversation, "click-alice"), StringComparison.Ordinal);
        Assert.Equal(ApprovalState.Pending, (await Approvals.GetAsync(id))!.State);
    }

    [Fact]
    public async Task An_approver_clicking_Approve_approves_as_themselves_once_even_when_the_click_is_redelivered()
    {
        var conversation = NewConversation();
        var id = await PendingApprovalAsync(conversation, requester: "root");
        var click = Click(conversation, "click-bob", Approve(id), TeamsHost.BobAad);

        await host.PostAsync(click, host.ValidToken());
        await host.PostAsync(click, host.ValidToken());

        Assert.StartsWith($"Approved #{id}", await ReplyTextAsync(conversation, "click-bob"), StringComparison.Ordinal);
        var approval = (await Approvals.GetAsync(id))!;
        Assert.Equal(ApprovalState.Approved, approval.State);
        Assert.Equal("bob", approval.DecidedByUserId);
        // A later click by someone else: the only reply to the redelivered click was the first one.
        await host.PostAsync(Click(conversation, "click-bob-2", Approve(id), TeamsHost.BobAad), host.ValidToken());
        Assert.Contains("was already approved by Bob", await ReplyTextAsync(conversation, "click-bob-2"), StringComparison.Ordinal);
        Assert.Single(host.BotFramework.ConnectorRequests(conversation), r => FakeBotFramework.Unescape(r).EndsWith("/click-bob", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deny_passes_the_cards_comment_on_as_the_reason()
    {
        var conversation = NewConversation();
        var id = await PendingApprovalAsync(conversation, requester: "alice");
        var value = new JsonObject { ["action"] = "deny", ["commandId"] = id, ["comment"] = "not during\nthe sale" };

        await host.PostAsync(Click(conversation, "click-deny", value, TeamsHost.BobAad), host.ValidToken());

        Assert.StartsWith($"Denied #{id}", await ReplyTextAsync(conversation, "click-deny"), StringComparison.Ordinal);
        var approval = (await Approvals.GetAsync(id))!;
        Assert.Equal(ApprovalState.Denied, approval.State);
        Assert.Equal("not during the sale", approval.Reason);
    }

    [Fact]
    public async Task An_approve_invoke_is_decided_the_same_way_and_answered_in_the_response()
    {
        var conversation = NewConversation();
        var id = await PendingApprovalAsync(conversation, requester: "root");
        var invoke = host.Message(conversation, "invoke-approve", "", aad: TeamsHost.RootAad);
        invoke["type"] = "invoke";
        invoke["name"] = "adaptiveCard/action";
        invoke["value"] = new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = "approve", ["data"] = new JsonObject { ["commandId"] = id } } };

        using var response = await host.PostAsync(invoke, host.ValidToken());

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains($"You cannot approve your own request #{id}", (string?)body["value"], StringComparison.Ordinal);
        Assert.Equal(ApprovalState.Pending, (await Approvals.GetAsync(id))!.State);
    }

    [Fact]
    public async Task An_approve_click_naming_something_else_than_an_id_runs_nothing()
    {
        var conversation = NewConversation();

        await host.PostAsync(Click(conversation, "click-odd", Approve("x; restart web-1 nginx"), TeamsHost.BobAad), host.ValidToken());

        Assert.Equal("That Approve button names no valid command id.", await ReplyTextAsync(conversation, "click-odd"));
    }

    [Fact]
    public async Task An_alert_button_runs_its_command_as_the_clicking_user()
    {
        var conversation = NewConversation();
        var ack = new JsonObject { ["action"] = "alert", ["kind"] = "Acknowledge", ["alertId"] = "nosuch9", ["command"] = "ack nosuch9" };

        await host.PostAsync(Click(conversation, "click-ack-vic", ack, TeamsHost.VicAad), host.ValidToken());
        await host.PostAsync(Click(conversation, "click-ack-bob", ack.DeepClone().AsObject(), TeamsHost.BobAad), host.ValidToken());

        Assert.Contains("not allowed to run `ack`", await ReplyTextAsync(conversation, "click-ack-vic"), StringComparison.Ordinal);
        var bob = await ReplyTextAsync(conversation, "click-ack-bob");
        Assert.Contains("nosuch9", bob, StringComparison.Ordinal);
        Assert.DoesNotContain("not allowed", bob, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_alert_button_without_a_command_is_answered_so()
    {
        var conversation = NewConversation();

        await host.PostAsync(Click(conversation, "click-empty", new JsonObject { ["action"] = "alert", ["alertId"] = "a1" }, TeamsHost.BobAad), host.ValidToken());

        Assert.Equal("That alert button carries no command.", await ReplyTextAsync(conversation, "click-empty"));
    }

    private IApprovalStore Approvals => host.Services.GetRequiredService<IApprovalStore>();

    /// <summary>A high-risk request waiting for approval, as the router and the approval service leave it.</summary>
    private async Task<string> PendingApprovalAsync(string conversation, string requester)
    {
        var id = "ap" + Guid.NewGuid().ToString("N")[..10];
        var now = DateTimeOffset.UtcNow;
        var by = new Requester(requester, "teams:" + requester, requester);
        var replyTo = new ChatRef("teams", conversation, "m-1", new Dictionary<string, string> { ["serviceUrl"] = host.BotFramework.ServiceUrl });
        var command = new CommandRecord
        {
            Id = id, RequestId = id, ServerId = "web-1", CommandName = "restart", Action = "restart",
            Args = new Dictionary<string, string> { ["service"] = "nginx" }, Text = "restart web-1 nginx", Requester = by, ReplyTo = replyTo,
            State = CommandState.AwaitingApproval, Timeout = TimeSpan.FromMinutes(1), CreatedAt = now,
        };
        Assert.True(await host.Services.GetRequiredService<ICommandStore>().TryCreateAsync(command));
        Assert.True(await Approvals.TryCreateAsync(new ApprovalRequest
        {
            Id = id, RequestId = id, CommandName = "restart", Target = "web-1", Action = "restart", Servers = ["web-1"],
            Fingerprint = ApprovalFingerprint.Compute("web-1", [command]), Text = command.Text, Requester = by, ReplyTo = replyTo,
            State = ApprovalState.Pending, RequestedAt = now, ExpiresAt = now.AddMinutes(15),
        }));
        return id;
    }

    private async Task<string> ReplyTextAsync(string conversation, string clickId)
    {
        var reply = (await host.BotFramework.WaitForAsync(r => r.Path.StartsWith("/v3/", StringComparison.Ordinal)
            && FakeBotFramework.Unescape(r).EndsWith($"/v3/conversations/{conversation}/activities/{clickId}", StringComparison.Ordinal)))[0];
        return (string?)FakeBotFramework.BodyOf(reply)["text"] ?? "";
    }

    private static JsonObject Approve(string id) => new() { ["action"] = "approve", ["commandId"] = id };

    private JsonObject Click(string conversation, string id, JsonObject value, string aad)
    {
        var click = host.Message(conversation, id, "", aad: aad);
        click.Remove("text");
        click["value"] = value;
        click["replyToId"] = "bot-activity-card";
        return click;
    }

    private static string NewConversation() => $"19:{Guid.NewGuid():N}@thread.tacv2;messageid=1700000000000";
}
