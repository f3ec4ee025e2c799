using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Teams;

/// <summary>
/// Two-person control from Teams, end to end: a high-risk command waits with an approval card in its
/// thread; clicks (signed activities, as Teams sends them) run <c>approve</c> / <c>deny</c> as the
/// clicking user, so the requester cannot approve their own request, an approver's click runs the
/// command once on the real agent, and a denial runs nothing.
/// </summary>
public sealed class TeamsApprovalFlowTests(TeamsApprovalFixture fixture) : IClassFixture<TeamsApprovalFixture>
{
    private FakeTeamsService Teams => fixture.Teams;
    private ChatOpsServer Server => fixture.Server;

    [Fact]
    public async Task The_requesters_click_is_refused_the_approvers_click_runs_it_once_and_both_cards_are_updated()
    {
        var conversation = NewConversation();
        var marker = "approved-" + Guid.NewGuid().ToString("N")[..8];
        await SendAsync(Teams.Message(conversation, "m-risky", $"run web-1 echo {marker}", TeamsApprovalFixture.RequesterAad));
        var commandCard = await CardAsync(conversation, "m-risky", c => !c.Shown.Contains("Approval needed", StringComparison.Ordinal));
        var approvalCard = await CardAsync(conversation, "m-risky", c => c.Shown.Contains("Approval needed", StringComparison.Ordinal));
        var approve = Button(approvalCard, "approve");
        var id = (string)approve["commandId"]!;
        Assert.Equal("deny", (string?)Button(approvalCard, "deny")["action"]);
        await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + commandCard.AnsweredId, StringComparison.Ordinal) && c.Shown.Contains("awaiting approval", StringComparison.Ordinal));

        // The requester clicks Approve on their own request.
        await SendAsync(Teams.Click(conversation, "click-self", approvalCard.AnsweredId!, approve.DeepClone().AsObject(), TeamsApprovalFixture.RequesterAad));
        Assert.Contains($"You cannot approve your own request #{id}", await ReplyToAsync(conversation, "click-self"), StringComparison.Ordinal);
        await Teams.WaitForAsync(c => c.Path.StartsWith($"/v3/conversations/{conversation}/", StringComparison.Ordinal) && c.Shown.Contains("cannot approve their own request", StringComparison.Ordinal));
        Assert.Equal("awaiting_approval", await StateAsync(id));

        // The approver clicks Approve; Teams delivers the click twice.
        var click = ApproverClick(conversation, "click-bea", approvalCard, approve.DeepClone().AsObject());
        var answers = await Task.WhenAll(Teams.SendAsync(Server.Http.BaseAddress!, click), Teams.SendAsync(Server.Http.BaseAddress!, click));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.StartsWith($"Approved #{id}", await ReplyToAsync(conversation, "click-bea"), StringComparison.Ordinal);

        await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + commandCard.AnsweredId, StringComparison.Ordinal) && c.Shown.Contains("succeeded", StringComparison.Ordinal));
        var decided = await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + approvalCard.AnsweredId, StringComparison.Ordinal));
        Assert.Contains("approved by Bea Approver", decided[0].Shown, StringComparison.Ordinal);
        Assert.DoesNotContain("\"action\":\"approve\"", decided[0].Shown, StringComparison.Ordinal);

        // A late redelivery of the approver's click, then a barrier command on the same server.
        using (await Teams.SendAsync(Server.Http.BaseAddress!, click)) { }
        Assert.Equal("succeeded", await StateAsync(id));
        var calls = Teams.CallsIn(conversation).Where(c => c.Status == 200).ToList();
        Assert.Single(calls, c => c.Shown.StartsWith("```", StringComparison.Ordinal) && c.Shown.Contains(marker, StringComparison.Ordinal));
        Assert.Single(calls, c => c.Path.EndsWith("/activities/click-bea", StringComparison.Ordinal));
        var commands = await Server.Http.GetFromJsonAsync<JsonElement>("/api/commands?limit=500");
        Assert.Single(commands.EnumerateArray(), c => c.GetProperty("text").GetString()!.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_denial_by_click_runs_nothing_and_ends_the_command()
    {
        var conversation = NewConversation();
        var marker = "denied-" + Guid.NewGuid().ToString("N")[..8];
        await SendAsync(Teams.Message(conversation, "m-deny", $"run web-1 echo {marker}", TeamsApprovalFixture.RequesterAad));
        var commandCard = await CardAsync(conversation, "m-deny", c => !c.Shown.Contains("Approval needed", StringComparison.Ordinal));
        var approvalCard = await CardAsync(conversation, "m-deny", c => c.Shown.Contains("Approval needed", StringComparison.Ordinal));
        var deny = Button(approvalCard, "deny").DeepClone().AsObject();
        var id = (string)deny["commandId"]!;
        deny["comment"] = "not during the sale";

        await SendAsync(ApproverClick(conversation, "click-deny", approvalCard, deny));

        Assert.StartsWith($"Denied #{id}", await ReplyToAsync(conversation, "click-deny"), StringComparison.Ordinal);
        await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + commandCard.AnsweredId, StringComparison.Ordinal) && c.Shown.Contains("rejected", StringComparison.Ordinal));
        var decided = await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + approvalCard.AnsweredId, StringComparison.Ordinal));
        Assert.Contains("denied by Bea Approver: not during the sale", decided[0].Shown, StringComparison.Ordinal);
        Assert.Equal("rejected", await StateAsync(id));
        Assert.DoesNotContain(Teams.CallsIn(conversation), c => c.Shown.StartsWith("```", StringComparison.Ordinal) && c.Shown.Contains(marker, StringComparison.Ordinal));
        Assert.DoesNotContain(Teams.CallsIn(conversation), c => c.Shown.Contains("is running on", StringComparison.Ordinal));
    }

    private async Task SendAsync(JsonObject activity)
    {
        using var response = await Teams.SendAsync(Server.Http.BaseAddress!, activity);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<TeamsCall> CardAsync(string conversation, string activityId, Func<TeamsCall, bool> which) =>
        (await Teams.WaitForAsync(c => c.Method == "POST" && c.Status == 200 && c.Path == $"/v3/conversations/{conversation}/activities/{activityId}"
            && c.Shown.Contains("AdaptiveCard", StringComparison.Ordinal) && which(c)))[0];

    /// <summary>A click as the approver, with the name Teams shows for her.</summary>
    private JsonObject ApproverClick(string conversation, string activityId, TeamsCall card, JsonObject data)
    {
        var click = Teams.Click(conversation, activityId, card.AnsweredId!, data, TeamsApprovalFixture.ApproverAad);
        click["from"]!["name"] = "Bea Approver";
        return click;
    }

    private static JsonObject Button(TeamsCall card, string action) =>
        card.Json["attachments"]![0]!["content"]!["actions"]!.AsArray().Single(a => (string?)a!["data"]!["action"] == action)!["data"]!.AsObject();

    private async Task<string> ReplyToAsync(string conversation, string clickId) =>
        (await Teams.WaitForAsync(c => c.Method == "POST" && c.Path == $"/v3/conversations/{conversation}/activities/{clickId}"))[0].Shown;

    private async Task<string?> StateAsync(string commandId) =>
        (await Server.Http.GetFromJsonAsync<JsonElement>($"/api/commands/{commandId}")).GetProperty("state").GetString();

    private static string NewConversation() => $"19:{Guid.NewGuid():N}@thread.tacv2;messageid=1700000000000";
}
