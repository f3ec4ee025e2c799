using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatOps.Server.Admin;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>Bad input to the admin API gets a clear 4xx, never a stack trace; template text is stored and shown literally.</summary>
public sealed class AdminApiInputTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    [Theory]
    [InlineData("/api/users", """{"id":"Bad Id","displayName":"x","roles":[]}""", "'id' must be")]
    [InlineData("/api/users", """{"id":"eve","displayName":"x","roles":["root"]}""", "Unknown role 'root'")]
    [InlineData("/api/users", """{"id":"eve","displayName":"ad\u202Emin","roles":[]}""", "direction-changing")]
    [InlineData("/api/users", """{"id":"eve","displayName":"Eve","roles":[],"password":"short"}""", "at least 12")]
    [InlineData("/api/users/admin/identities", """{"identity":"slack:U1; DROP TABLE"}""", "'identity' must look like")]
    [InlineData("/api/rules", """{"role":"operator","command":"restart","target":"role web!"}""", "'target' must be")]
    [InlineData("/api/rules", """{"role":"operator","command":"reboot-all","target":"*"}""", "There is no command")]
    [InlineData("/api/servers", """{"id":"web-1","tags":["not a tag"]}""", "Each tag must look like")]
    [InlineData("/api/keys", """{"name":"k\u200Bey"}""", "'name' is required")]
    [InlineData("/api/users", """{"id":"eve","id":"mallory","displayName":"x","roles":[]}""", "not valid JSON")]
    public async Task Bad_bodies_get_400_with_the_reason(string path, string body, string reason)
    {
        using var admin = App.AdminClient();
        using var response = await admin.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var answer = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {answer}");
        Assert.Contains(reason, JsonSerializer.Deserialize<JsonElement>(answer).GetProperty("message").GetString());
        Assert.DoesNotContain("   at ", answer);
    }

    [Fact]
    public async Task A_deeply_nested_body_is_refused_at_the_parser()
    {
        using var admin = App.AdminClient();
        var bomb = new string('[', 10_000) + new string(']', 10_000);
        using var response = await admin.PostAsync("/api/rules", new StringContent(bomb, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Template_payloads_are_stored_and_returned_literally()
    {
        const string name = "{{7*7}} @(1+1) ${7*7} #{7*7} <%= 7*7 %>";
        using var admin = App.AdminClient();
        (await admin.PostAsJsonAsync("/api/users", new { id = "tmpl", displayName = name, roles = Array.Empty<string>() })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/keys", new { name, userId = "tmpl" })).EnsureSuccessStatusCode();

        var user = await admin.GetFromJsonAsync<JsonElement>("/api/users/tmpl");
        var keys = await admin.GetFromJsonAsync<JsonElement>("/api/keys");

        Assert.Equal(name, user.GetProperty("displayName").GetString());
        Assert.Contains(keys.EnumerateArray(), k => k.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task The_audit_export_is_csv_with_formula_cells_defused()
    {
        using var admin = App.AdminClient();
        using var client = App.Anonymous();
        (await client.PostAsJsonAsync("/api/auth/login", new { username = "=HYPERLINK(\"http://evil\")", password = "whatever-password" })).Dispose();

        using var response = await admin.GetAsync("/api/audit/export?action=login.failed");
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("attachment;", response.Content.Headers.ContentDisposition?.ToString() ?? response.Headers.GetValues("Content-Disposition").Single());
        Assert.StartsWith("id,at,actor,action,target,outcome,detail\r\n", csv);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")\"", csv);
        Assert.DoesNotContain(",=HYPERLINK", csv);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=1+1", "\"'=1+1\"")]
    [InlineData("+1", "\"'+1\"")]
    [InlineData("-1", "\"'-1\"")]
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("line\nbreak", "\"line\nbreak\"")]
    [InlineData(null, "")]
    public void Csv_cells_are_quoted_and_never_start_a_formula(string? value, string cell)
    {
        Assert.Equal(cell, AuditEndpoints.Cell(value));
    }
}
