using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Server.Tests;

/// <summary>
/// One rule ("operators may restart on role:web, not elsewhere") through every way in: chat, a button
/// (the adapter turns its action into the same intake request), the REST API and the page. Each must
/// come out the same: web-1 goes to dispatch (and fails only because no agent is connected), db-1 is
/// rejected as forbidden, a fan-out over both runs one and reports the other.
/// </summary>
public sealed class EntryPointRuleTests : IAsyncLifetime
{
    private readonly ChatOpsApp _app = new(services: s => s.AddSingleton<IChatClient, RecordingChatClient>());
    private BusWatcher _bus = null!;
    private string _operatorKey = "";
    private PageSession _page = null!;

    public static TheoryData<string> EntryPoints => ["chat", "button", "rest", "page"];

    public async Task InitializeAsync()
    {
        _bus = await BusWatcher.StartAsync(_app.Get<IEventBus>());
        var servers = _app.Get<IServerStore>();
        await servers.UpsertAsync(new Core.Domain.Server("web-1", null, ["role:web"], DateTimeOffset.UtcNow));
        await servers.UpsertAsync(new Core.Domain.Server("db-1", null, ["role:db"], DateTimeOffset.UtcNow));
        await _app.CreateUserAsync("olive", Roles.Operator);
        await _app.CreateUserAsync("vera", Roles.Viewer);
        _operatorKey = await _app.CreateKeyAsync("olive");
        _page = await _app.SignInAsync("olive");

        // As an admin would on the page: narrow operators' restart to role:web.
        using var admin = _app.AdminClient();
        (await admin.PostAsJsonAsync("/api/rules", new { role = "operator", command = "restart", target = "role:web" })).EnsureSuccessStatusCode();
        var rules = await admin.GetFromJsonAsync<JsonElement>("/api/rules");
        var everywhere = rules.EnumerateArray().Single(r => r.GetProperty("command").GetString() == "restart" && r.GetProperty("role").GetString() == "operator" && r.GetProperty("target").GetString() == "*");
        (await admin.DeleteAsync("/api/rules/" + everywhere.GetProperty("id").GetString())).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task An_allowed_target_goes_to_dispatch(string entryPoint)
    {
        var id = await SubmitAsync(entryPoint, "restart web-1 nginx");

        var end = (await _bus.WaitForEndAsync(id!)).Read<CommandFailed>();
        Assert.Equal(FailureReasons.AgentOffline, end.Reason);
        Assert.Equal(CommandState.Failed, (await _app.Get<ICommandStore>().GetAsync(id!))!.State);
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task A_target_outside_the_rule_is_rejected_as_forbidden(string entryPoint)
    {
        var id = await SubmitAsync(entryPoint, "restart db-1 nginx");

        var end = (await _bus.WaitForEndAsync(id!)).Read<CommandFailed>();
        var stored = await _app.Get<ICommandStore>().GetAsync(id!);
        Assert.Equal(FailureReasons.Forbidden, end.Reason);
        Assert.Contains("only on role:web", end.Message);
        Assert.Equal(CommandState.Rejected, stored!.State);
        Assert.Single(await _app.Get<IAuditStore>().QueryAsync(new AuditQuery(Target: id, Action: "command.rejected")));
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task A_fan_out_runs_where_allowed_and_reports_where_not(string entryPoint)
    {
        var id = await SubmitAsync(entryPoint, "restart *-1 nginx");

        var web = (await _bus.WaitForEndAsync(id + "-web-1")).Read<CommandFailed>();
        var db = (await _bus.WaitForEndAsync(id + "-db-1")).Read<CommandFailed>();
        Assert.Equal(FailureReasons.AgentOffline, web.Reason);
        Assert.Equal(FailureReasons.Forbidden, db.Reason);
        Assert.Contains("Not run on `db-1`", db.Message);
        var children = await _app.Get<ICommandStore>().ListByRequestAsync(id!);
        Assert.Equal(["db-1:Rejected", "web-1:Failed"], children.Select(c => $"{c.ServerId}:{c.State}").Order());
        Assert.Single(await _app.Get<IAuditStore>().QueryAsync(new AuditQuery(Target: id + "-db-1", Action: "command.denied")));
    }

    [Fact]
    public async Task A_viewer_is_refused_at_the_door_on_every_entry_point_with_one_audit_event_each()
    {
        var viewerKey = await _app.CreateKeyAsync("vera");
        var viewerPage = await _app.SignInAsync("vera");
        using var rest = _app.KeyClient(viewerKey);
        var intake = _app.Get<CommandIntake>();

        var chat = await intake.HandleAsync(new IntakeRequest(new Requester("vera", "slack:T1/U9", "Vera"), new ChatRef(RecordingChatClient.Name, "C1", "t-v"), "restart web-1 nginx"));
        var api = await (await rest.PostAsJsonAsync("/api/commands", new { text = "restart web-1 nginx" })).Content.ReadFromJsonAsync<JsonElement>();
        var page = await (await viewerPage.PostAsync("/api/chat/messages", new { text = "restart web-1 nginx" })).Content.ReadFromJsonAsync<JsonElement>();

        foreach (var text in new[] { chat.Text, api.GetProperty("text").GetString()!, page.GetProperty("text").GetString()! })
            Assert.Contains("not allowed to run `restart`", text);
        Assert.Null(chat.CommandId);
        Assert.Equal(JsonValueKind.Null, api.GetProperty("commandId").ValueKind);
        Assert.Equal(3, (await _app.Get<IAuditStore>().QueryAsync(new AuditQuery(Actor: "vera", Action: "command.denied"))).Count);
    }

    /// <summary>Sends <paramref name="text"/> as operator olive through one entry point; returns the request id.</summary>
    private async Task<string?> SubmitAsync(string entryPoint, string text)
    {
        var olive = new Requester("olive", "slack:T1/U7", "Olive");
        switch (entryPoint)
        {
            case "chat":
            case "button":
                // A Slack button's action value is a command line; the adapter hands it to the same intake.
                var extra = entryPoint == "button" ? new Dictionary<string, string> { ["action_id"] = "run_runbook" } : null;
                var reply = await _app.Get<CommandIntake>().HandleAsync(new IntakeRequest(olive, new ChatRef(RecordingChatClient.Name, "C1", "t-" + Guid.NewGuid().ToString("N")[..6], extra), text));
                return reply.CommandId ?? throw new InvalidOperationException(reply.Text);
            case "rest":
                using (var rest = _app.KeyClient(_operatorKey))
                {
                    using var response = await rest.PostAsJsonAsync("/api/commands", new { text });
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commandId").GetString();
                }

            default:
                using (var response = await _page.PostAsync("/api/chat/messages", new { text }))
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commandId").GetString();
                }
        }
    }
}
