using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>
/// Every sign-in (ok and failed), key, configuration and approval action leaves exactly one
/// append-only audit event, in the store and on events-topic, and nothing else.
/// </summary>
public sealed class AuditCompletenessTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    [Fact]
    public async Task Sign_in_sign_out_and_failed_sign_in_are_one_event_each()
    {
        await App.CreateUserAsync("ann", Roles.Viewer);
        using var client = App.Anonymous();

        await ExpectOneAsync("login.failed", async () => (await client.PostAsJsonAsync("/api/auth/login", new { username = "ann", password = "wrong-password-here" })).Dispose(), e => e.Actor == "anonymous" && e.Target == "ann");
        PageSession? page = null;
        await ExpectOneAsync("login.succeeded", async () => page = await App.SignInAsync("ann"), e => e.Actor == "ann");
        await ExpectOneAsync("logout", async () => (await page!.PostAsync("/api/auth/logout")).EnsureSuccessStatusCode(), e => e.Actor == "ann");
    }

    [Fact]
    public async Task Every_user_key_and_identity_change_is_one_event()
    {
        var page = await App.SignInAsync("admin");
        string? keyId = null;

        await ExpectOneAsync("user.created", () => Ok(page.PostAsync("/api/users", new { id = "ben", displayName = "Ben", roles = new[] { "viewer" } })), e => e.Target == "ben");
        await ExpectOneAsync("user.updated", () => Ok(page.SendAsync(HttpMethod.Put, "/api/users/ben", new { roles = new[] { "viewer", "operator" } })), e => e.Detail!.Contains("viewer,operator"));
        await ExpectOneAsync("user.password_set", () => Ok(page.PostAsync("/api/users/ben/password", new { password = "ben-has-a-long-password" })), e => e.Target == "ben");
        await ExpectOneAsync("identity.linked", () => Ok(page.PostAsync("/api/users/ben/identities", new { identity = "slack:T1/U42" })), e => e.Detail == "slack:T1/U42");
        await ExpectOneAsync("identity.unlinked", () => Ok(page.SendAsync(HttpMethod.Delete, "/api/users/ben/identities?identity=slack:T1/U42")), e => e.Detail == "slack:T1/U42");
        await ExpectOneAsync("apikey.created", async () =>
        {
            using var response = await page.PostAsync("/api/keys", new { name = "ben's bot", userId = "ben" });
            keyId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        }, e => e.Detail!.Contains("ben's bot"));
        await ExpectOneAsync("apikey.revoked", () => Ok(page.SendAsync(HttpMethod.Delete, "/api/keys/" + keyId)), e => e.Target == keyId);
        await ExpectOneAsync("session.revoked", () => Ok(page.SendAsync(HttpMethod.Delete, "/api/users/ben/sessions")), e => e.Target == "ben");
    }

    [Fact]
    public async Task Every_rule_risk_and_server_change_is_one_event()
    {
        var page = await App.SignInAsync("admin");
        string? ruleId = null;

        await ExpectOneAsync("rule.added", async () =>
        {
            using var response = await page.PostAsync("/api/rules", new { role = "operator", command = "logs", target = "role:web" });
            ruleId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rule").GetProperty("id").GetString();
        }, e => e.Target == "logs");
        await ExpectOneAsync("rule.deleted", () => Ok(page.SendAsync(HttpMethod.Delete, "/api/rules/" + ruleId)), e => e.Target == "logs");
        await ExpectOneAsync("rule.reset", () => Ok(page.PostAsync("/api/catalog/logs/rules/reset")), e => e.Target == "logs");
        await ExpectOneAsync("command.risk_changed", () => Ok(page.SendAsync(HttpMethod.Put, "/api/catalog/run/risk", new { risk = "high" })), e => e.Detail == "risk high");
        await ExpectOneAsync("command.risk_changed", () => Ok(page.SendAsync(HttpMethod.Put, "/api/catalog/run/risk", new { risk = "default" })), e => e.Detail == "risk default");
        await ExpectOneAsync("server.enrolled", () => Ok(page.PostAsync("/api/servers", new { id = "audit-1", tags = new[] { "role:web" } })), e => e.Target == "audit-1");
        await ExpectOneAsync("server.removed", () => Ok(page.SendAsync(HttpMethod.Delete, "/api/servers/audit-1")), e => e.Target == "audit-1");
    }

    [Fact]
    public async Task Each_approval_step_is_one_event_and_reaches_events_topic()
    {
        await using var events = await BusWatcher.StartAsync(App.Get<IEventBus>(), Topics.Events);
        await using var commands = await BusWatcher.StartAsync(App.Get<IEventBus>());
        await App.Get<IServerStore>().UpsertAsync(new Core.Domain.Server("audit-web", null, ["role:web"], DateTimeOffset.UtcNow));
        await App.CreateUserAsync("quinn", Roles.Operator);
        await App.CreateUserAsync("abby", Roles.Approver);
        using var admin = App.AdminClient();
        (await admin.PutAsJsonAsync("/api/catalog/restart/risk", new { risk = "high" })).EnsureSuccessStatusCode();
        var requester = await App.SignInAsync("quinn");
        var approver = await App.SignInAsync("abby");

        using var run = await requester.PostAsync("/api/commands", new { text = "restart audit-web nginx" });
        var id = (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commandId").GetString()!;
        await commands.WaitForAsync(e => e.Type == "approval.requested", "approval requested");
        Assert.Single(await Audit("approval.requested", id));
        Assert.Single(await Audit("command.requested", id));

        await ExpectOneAsync("approval.refused", async () => Assert.Equal(HttpStatusCode.Forbidden, (await requester.PostAsync($"/api/approvals/{id}/approve")).StatusCode), e => e.Target == id);
        await ExpectOneAsync("approval.approved", () => Ok(approver.PostAsync($"/api/approvals/{id}/approve")), e => e.Actor == "abby", alsoAllowed: "command.finished");
        await commands.WaitForEndAsync(id);
        await events.WaitForAsync(e => e.Type == EventTypes.AuditRecorded && e.Read<AuditRecorded>().Event.Action == "approval.approved", "approval.approved on events-topic");
        (await admin.PutAsJsonAsync("/api/catalog/restart/risk", new { risk = "default" })).EnsureSuccessStatusCode();
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Runs <paramref name="action"/> and checks the audit log grew by exactly one event, of <paramref name="expected"/>.</summary>
    private async Task ExpectOneAsync(string expected, Func<Task> action, Func<AuditEvent, bool> describes, string? alsoAllowed = null)
    {
        var before = (await All()).Select(e => e.Id).ToHashSet();
        await action();
        var added = (await All()).Where(e => !before.Contains(e.Id) && e.Action != alsoAllowed).ToList();
        Assert.True(added.Count == 1, $"{expected}: {added.Count} new audit events: {string.Join(", ", added.Select(e => e.Action))}");
        Assert.Equal(expected, added[0].Action);
        Assert.True(describes(added[0]), $"{expected}: unexpected event {added[0]}");
    }

    private Task<IReadOnlyList<AuditEvent>> All() => App.Get<IAuditStore>().QueryAsync(new AuditQuery(Limit: 100_000));

    private Task<IReadOnlyList<AuditEvent>> Audit(string action, string target) => App.Get<IAuditStore>().QueryAsync(new AuditQuery(Action: action, Target: target));
}
