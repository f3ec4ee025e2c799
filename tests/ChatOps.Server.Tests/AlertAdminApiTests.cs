using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>
/// Alert rules and silences over REST: rules for admins only, silences for whoever may use the
/// <c>silence</c> command (operators by default); bad bodies get a 400 naming the field; each change
/// is one audit event; page POSTs need the CSRF token and this site's origin like every other.
/// </summary>
public sealed class AlertAdminApiTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    private static object CpuRule(string name, object threshold) => new
    {
        name,
        metric = "cpu_percent",
        target = "role:web",
        comparator = ">",
        threshold,
        @for = "5m",
        severity = "critical",
        routes = new[] { new { platform = "web", channel = "ops" } },
    };

    [Fact]
    public async Task Only_admins_create_replace_and_delete_alert_rules()
    {
        await App.CreateUserAsync("rule-viewer", Roles.Viewer);
        await App.CreateUserAsync("rule-operator", Roles.Operator);
        using var viewer = App.KeyClient(await App.CreateKeyAsync("rule-viewer"));
        using var operatorClient = App.KeyClient(await App.CreateKeyAsync("rule-operator"));
        using var admin = App.AdminClient();

        foreach (var client in new[] { viewer, operatorClient })
        {
            await ExpectStatus(HttpStatusCode.Forbidden, client.PostAsJsonAsync("/api/alerts/rules", CpuRule("cpu-forbidden", 90)));
            await ExpectStatus(HttpStatusCode.Forbidden, client.PutAsJsonAsync("/api/alerts/rules/cpu-forbidden", CpuRule("cpu-forbidden", 90)));
            await ExpectStatus(HttpStatusCode.Forbidden, client.DeleteAsync("/api/alerts/rules/cpu-forbidden"));
        }

        Assert.Null(App.Get<AlertRuleSet>().Find("cpu-forbidden"));

        var created = await ExpectStatus(HttpStatusCode.Created, admin.PostAsJsonAsync("/api/alerts/rules", CpuRule("cpu-rest", 90)));
        Assert.Equal("store", created.GetProperty("source").GetString());
        Assert.Equal(90, App.Get<AlertRuleSet>().Find("cpu-rest")!.Threshold);
        var listed = await viewer.GetFromJsonAsync<JsonElement>("/api/alerts/rules");
        Assert.Contains(listed.EnumerateArray(), r => r.GetProperty("rule").GetProperty("name").GetString() == "cpu-rest" && r.GetProperty("source").GetString() == "store");

        await ExpectStatus(HttpStatusCode.Conflict, admin.PostAsJsonAsync("/api/alerts/rules", CpuRule("cpu-rest", 80)));
        await ExpectStatus(HttpStatusCode.OK, admin.PutAsJsonAsync("/api/alerts/rules/cpu-rest", CpuRule("cpu-rest", "95.5")));
        Assert.Equal(95.5, App.Get<AlertRuleSet>().Find("cpu-rest")!.Threshold);
        Assert.Equal(95.5, (await App.Get<IAlertRuleStore>().GetAsync("cpu-rest"))!.Threshold);

        await ExpectStatus(HttpStatusCode.NotFound, admin.PutAsJsonAsync("/api/alerts/rules/cpu-nowhere", CpuRule("cpu-nowhere", 90)));
        await ExpectStatus(HttpStatusCode.OK, admin.DeleteAsync("/api/alerts/rules/cpu-rest"));
        Assert.Null(App.Get<AlertRuleSet>().Find("cpu-rest"));
        await ExpectStatus(HttpStatusCode.NotFound, admin.DeleteAsync("/api/alerts/rules/cpu-rest"));
    }

    [Theory]
    [InlineData("""{"name":"cpu-bad","metric":"cpu_percent","threshold":"ninety"}""", "field 'threshold'")]
    [InlineData("""{"name":"cpu-bad","threshold":90}""", "field 'metric': is required")]
    [InlineData("""{"name":"Bad Name!","metric":"cpu_percent","threshold":90}""", "field 'name'")]
    [InlineData("""{"name":"cpu-bad","metric":"cpu_percent","threshold":90,"for":"soon"}""", "field 'for'")]
    [InlineData("""{"name":"cpu-bad","metric":"cpu_percent","threshold":90,"severity":"apocalyptic"}""", "field 'severity'")]
    [InlineData("""{"name":"cpu-bad","metric":"cpu_percent","threshold":90,"treshold":95}""", "field 'treshold': is not a field")]
    [InlineData("""{"name":"cpu-bad","metric":"cpu_percent","threshold":90,"clearFor":"1m","clear_for":"2m"}""", "field 'clear_for': is given twice")]
    [InlineData("""{"name":"cpu-bad","metric":"cpu_percent","threshold":90,"routes":[{"platform":"webhook","channel":"file:///etc/passwd"}]}""", "field 'routes[0].channel'")]
    [InlineData("""{"name":"cpu-bad","metric":"cpu_percent","threshold":90,"routes":"web:ops"}""", "field 'routes'")]
    [InlineData("""["not","an","object"]""", "not valid JSON")]
    public async Task Bad_alert_rules_get_400_naming_the_field_and_change_nothing(string body, string reason)
    {
        using var admin = App.AdminClient();
        var before = await CountAuditAsync();
        using var response = await admin.PostAsync("/api/alerts/rules", new StringContent(body, Encoding.UTF8, "application/json"));
        var answer = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {answer}");
        Assert.Contains(reason, JsonSerializer.Deserialize<JsonElement>(answer).GetProperty("message").GetString());
        Assert.DoesNotContain("   at ", answer);
        Assert.DoesNotContain("ChatOps.Core", answer);
        Assert.Null(App.Get<AlertRuleSet>().Find("cpu-bad"));
        Assert.Equal(before, await CountAuditAsync());
    }

    [Fact]
    public async Task A_rule_renamed_through_put_is_refused()
    {
        using var admin = App.AdminClient();
        await ExpectStatus(HttpStatusCode.Created, admin.PostAsJsonAsync("/api/alerts/rules", CpuRule("cpu-named", 90)));
        var refused = await ExpectStatus(HttpStatusCode.BadRequest, admin.PutAsJsonAsync("/api/alerts/rules/cpu-named", CpuRule("cpu-other", 90)));
        Assert.Contains("field 'name'", refused.GetProperty("message").GetString());
        Assert.Null(App.Get<AlertRuleSet>().Find("cpu-other"));
    }

    [Fact]
    public async Task Each_rule_and_silence_change_is_exactly_one_audit_event()
    {
        using var admin = App.AdminClient();
        await ExpectOneAuditAsync("alert_rule.created", "cpu-audit", () => ExpectStatus(HttpStatusCode.Created, admin.PostAsJsonAsync("/api/alerts/rules", CpuRule("cpu-audit", 90))));
        await ExpectOneAuditAsync("alert_rule.replaced", "cpu-audit", () => ExpectStatus(HttpStatusCode.OK, admin.PutAsJsonAsync("/api/alerts/rules/cpu-audit", CpuRule("cpu-audit", 91))));
        await ExpectOneAuditAsync("alert_rule.deleted", "cpu-audit", () => ExpectStatus(HttpStatusCode.OK, admin.DeleteAsync("/api/alerts/rules/cpu-audit")));

        string? id = null;
        await ExpectOneAuditAsync("silence.created", null, async () =>
        {
            var created = await ExpectStatus(HttpStatusCode.Created, admin.PostAsJsonAsync("/api/alerts/silences", new { target = "web-audit", duration = "2h", comment = "deploy" }));
            id = created.GetProperty("silence").GetProperty("id").GetString();
            return created;
        });
        await ExpectOneAuditAsync("silence.expired", id, () => ExpectStatus(HttpStatusCode.OK, admin.DeleteAsync("/api/alerts/silences/" + id)));

        // Refusals change nothing and record nothing here.
        var before = await CountAuditAsync();
        await ExpectStatus(HttpStatusCode.NotFound, admin.DeleteAsync("/api/alerts/silences/" + id));
        await ExpectStatus(HttpStatusCode.NotFound, admin.DeleteAsync("/api/alerts/rules/cpu-audit"));
        Assert.Equal(before, await CountAuditAsync());
    }

    [Fact]
    public async Task Operators_and_admins_silence_and_viewers_may_not()
    {
        await App.CreateUserAsync("quiet-viewer", Roles.Viewer);
        await App.CreateUserAsync("quiet-operator", Roles.Operator);
        using var viewer = App.KeyClient(await App.CreateKeyAsync("quiet-viewer"));
        using var operatorClient = App.KeyClient(await App.CreateKeyAsync("quiet-operator"));
        using var admin = App.AdminClient();

        var refused = await ExpectStatus(HttpStatusCode.Forbidden, viewer.PostAsJsonAsync("/api/alerts/silences", new { target = "web-9", duration = "1h" }));
        Assert.Contains("operator", refused.GetProperty("message").GetString());

        var byOperator = await ExpectStatus(HttpStatusCode.Created, operatorClient.PostAsJsonAsync("/api/alerts/silences", new { target = "role:web", duration = "30m", rule = "cpu-*", comment = "<b>deploy</b>" }));
        var id = byOperator.GetProperty("silence").GetProperty("id").GetString()!;
        Assert.Equal("Quiet-operator", byOperator.GetProperty("silence").GetProperty("createdBy").GetString());
        var window = await ExpectStatus(HttpStatusCode.Created, admin.PostAsJsonAsync("/api/alerts/silences", new { target = "db-1", duration = "1h", startIn = "3h" }));
        Assert.True(window.GetProperty("silence").GetProperty("startsAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(2.9));

        var listed = await viewer.GetFromJsonAsync<JsonElement>("/api/alerts/silences");
        var stored = listed.EnumerateArray().Single(s => s.GetProperty("id").GetString() == id);
        Assert.Equal("cpu-*", stored.GetProperty("rule").GetString());
        Assert.Equal("<b>deploy</b>", stored.GetProperty("comment").GetString());

        await ExpectStatus(HttpStatusCode.Forbidden, viewer.DeleteAsync("/api/alerts/silences/" + id));
        await ExpectStatus(HttpStatusCode.OK, operatorClient.DeleteAsync("/api/alerts/silences/" + id));
        var after = await viewer.GetFromJsonAsync<JsonElement>("/api/alerts/silences");
        Assert.DoesNotContain(after.EnumerateArray(), s => s.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Silencing_follows_the_permission_rules_of_the_silence_command()
    {
        await App.CreateUserAsync("quiet-watcher", Roles.Viewer);
        using var watcher = App.KeyClient(await App.CreateKeyAsync("quiet-watcher"));
        using var admin = App.AdminClient();
        await ExpectStatus(HttpStatusCode.Forbidden, watcher.PostAsJsonAsync("/api/alerts/silences", new { target = "web-1", duration = "1h" }));

        // An admin lets viewers silence too (the same rule chat obeys): REST follows at once.
        var rule = await ExpectStatus(HttpStatusCode.Created, admin.PostAsJsonAsync("/api/rules", new { role = "viewer", command = "silence", target = "*" }));
        try
        {
            await ExpectStatus(HttpStatusCode.Created, watcher.PostAsJsonAsync("/api/alerts/silences", new { target = "web-1", duration = "1h" }));
        }
        finally
        {
            await ExpectStatus(HttpStatusCode.OK, admin.PostAsync("/api/catalog/silence/rules/reset", null));
        }

        Assert.NotNull(rule.GetProperty("rule").GetProperty("id").GetString());
        await ExpectStatus(HttpStatusCode.Forbidden, watcher.PostAsJsonAsync("/api/alerts/silences", new { target = "web-1", duration = "1h" }));
    }

    [Theory]
    [InlineData("""{"duration":"1h"}""", "field 'target': is required")]
    [InlineData("""{"target":"web 1!","duration":"1h"}""", "field 'target'")]
    [InlineData("""{"target":"web-1"}""", "field 'duration': is required")]
    [InlineData("""{"target":"web-1","duration":"forever"}""", "field 'duration'")]
    [InlineData("""{"target":"web-1","duration":"40d"}""", "field 'duration': a silence lasts")]
    [InlineData("""{"target":"web-1","duration":"1h","rule":"role:web"}""", "field 'rule'")]
    [InlineData("""{"target":"web-1","duration":"1h","startIn":"soon"}""", "field 'startIn'")]
    [InlineData("""{"target":"web-1","duration":"1h","startIn":"1h","startsAt":"2030-01-01T00:00:00Z"}""", "field 'startIn'")]
    [InlineData("""{"target":"web-1","duration":"1h","duration":"2h"}""", "not valid JSON")]
    public async Task Bad_silences_get_400_naming_the_field(string body, string reason)
    {
        using var admin = App.AdminClient();
        using var response = await admin.PostAsync("/api/alerts/silences", new StringContent(body, Encoding.UTF8, "application/json"));
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {answer}");
        Assert.Contains(reason, JsonSerializer.Deserialize<JsonElement>(answer).GetProperty("message").GetString());
        Assert.DoesNotContain("   at ", answer);
    }

    [Fact]
    public async Task Page_requests_need_the_csrf_token_and_this_sites_origin()
    {
        var page = await App.SignInAsync("admin");
        using var noToken = await page.SendAsync(HttpMethod.Post, "/api/alerts/rules", CpuRule("cpu-csrf", 90), withCsrf: false);
        using var evil = await page.SendAsync(HttpMethod.Post, "/api/alerts/silences", new { target = "web-1", duration = "1h" }, origin: "https://evil.example");
        using var nullOrigin = await page.SendAsync(HttpMethod.Delete, "/api/alerts/rules/cpu-csrf", origin: "null");
        Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, evil.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, nullOrigin.StatusCode);
        Assert.Null(App.Get<AlertRuleSet>().Find("cpu-csrf"));

        using var ok = await page.PostAsync("/api/alerts/rules", CpuRule("cpu-csrf", 90));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        using var deleted = await page.SendAsync(HttpMethod.Delete, "/api/alerts/rules/cpu-csrf");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    private async Task ExpectOneAuditAsync(string action, string? target, Func<Task<JsonElement>> change)
    {
        var before = (await AllAuditAsync()).Select(e => e.Id).ToHashSet();
        await change();
        var added = (await AllAuditAsync()).Where(e => !before.Contains(e.Id)).ToList();
        Assert.True(added.Count == 1, $"{action}: {added.Count} new audit events: {string.Join(", ", added.Select(e => e.Action))}");
        Assert.Equal(action, added[0].Action);
        Assert.Equal("admin", added[0].Actor);
        if (target is not null) Assert.Equal(target, added[0].Target);
    }

    private async Task<int> CountAuditAsync() => (await AllAuditAsync()).Count;

    private Task<IReadOnlyList<AuditEvent>> AllAuditAsync() => App.Get<IAuditStore>().QueryAsync(new AuditQuery(Limit: 100_000));

    private static async Task<JsonElement> ExpectStatus(HttpStatusCode expected, Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text);
    }
}
