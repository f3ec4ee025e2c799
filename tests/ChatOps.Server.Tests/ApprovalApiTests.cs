using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>Approvals through the REST API and the page: the same rules as <c>approve</c> in chat.</summary>
public sealed class ApprovalApiTests : IAsyncLifetime
{
    private readonly ChatOpsApp _app = new();
    private BusWatcher _bus = null!;

    public async Task InitializeAsync()
    {
        _bus = await BusWatcher.StartAsync(_app.Get<IEventBus>());
        await _app.Get<IServerStore>().UpsertAsync(new Core.Domain.Server("web-1", null, ["role:web"], DateTimeOffset.UtcNow));
        await _app.CreateUserAsync("rosa", Roles.Operator, Roles.Approver);
        await _app.CreateUserAsync("arno", Roles.Approver);
        await _app.CreateUserAsync("vick", Roles.Viewer);
        using var admin = _app.AdminClient();
        (await admin.PutAsJsonAsync("/api/catalog/restart/risk", new { risk = "high" })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_request_waits_and_only_a_different_approver_may_approve_it()
    {
        var rosa = await _app.SignInAsync("rosa");
        var id = await RequestAsync(rosa);

        using var self = await rosa.PostAsync($"/api/approvals/{id}/approve");
        using var viewer = await (await _app.SignInAsync("vick")).PostAsync($"/api/approvals/{id}/approve");
        var arno = await _app.SignInAsync("arno");
        using var approved = await arno.PostAsync($"/api/approvals/{id}/approve");
        using var again = await arno.PostAsync($"/api/approvals/{id}/approve");
        var ended = await _bus.WaitForEndAsync(id);

        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Equal("self_approval", (await self.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, viewer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already approved by Arno", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString());
        Assert.Equal("agent_offline", ended.Payload.GetProperty("reason").GetString()); // it went on to dispatch
    }

    [Fact]
    public async Task A_denied_request_is_rejected_with_the_reason()
    {
        var rosa = await _app.SignInAsync("rosa");
        var id = await RequestAsync(rosa);

        using var denied = await (await _app.SignInAsync("arno")).PostAsync($"/api/approvals/{id}/deny", new { reason = "change freeze" });
        var ended = await _bus.WaitForEndAsync(id);
        var listed = await (await rosa.GetAsync("/api/approvals?state=denied")).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        Assert.Contains("change freeze", ended.Payload.GetProperty("message").GetString());
        Assert.Equal(CommandState.Rejected, (await _app.Get<ICommandStore>().GetAsync(id))!.State);
        var entry = listed.EnumerateArray().Single(a => a.GetProperty("id").GetString() == id);
        Assert.Equal("change freeze", entry.GetProperty("reason").GetString());
        Assert.Equal(64, entry.GetProperty("fingerprint").GetString()!.Length);
    }

    [Fact]
    public async Task Unknown_ids_and_odd_input_get_clear_answers()
    {
        var arno = await _app.SignInAsync("arno");
        using var unknown = await arno.PostAsync("/api/approvals/nope123/approve");
        using var odd = await arno.PostAsync("/api/approvals/%3Cscript%3E/approve");
        using var badState = await arno.GetAsync("/api/approvals?state=whatever");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, odd.StatusCode);
        Assert.DoesNotContain("<script>", await odd.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, badState.StatusCode);
    }

    private async Task<string> RequestAsync(PageSession page)
    {
        using var response = await page.PostAsync("/api/commands", new { text = "restart web-1 nginx" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commandId").GetString()!;
        await _bus.WaitForAsync(e => e.Type == "approval.requested" && e.Payload.GetProperty("approvalId").GetString() == id, "approval requested");
        return id;
    }
}
