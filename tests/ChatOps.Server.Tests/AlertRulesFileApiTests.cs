using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>Rules from the rules file are shown read-only: the REST API refuses to create, replace or delete them (409), and says where to change them.</summary>
public sealed class AlertRulesFileApiTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-rules-api-").FullName;
    private ChatOpsApp _app = null!;

    public async Task InitializeAsync()
    {
        var file = Path.Combine(_folder, "alerts.yaml");
        await File.WriteAllTextAsync(file, """
            rules:
              - name: disk-full
                metric: disk_used_percent
                labels:
                  mount: /
                threshold: 90
                for: 5m
                routes:
                  - platform: web
                    channel: ops
            """);
        _app = new ChatOpsApp(new Dictionary<string, string?> { ["ChatOps:Alerts:RulesFile"] = file });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task File_rules_are_listed_as_file_rules_and_cannot_be_edited_through_the_api()
    {
        using var admin = _app.AdminClient();
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/alerts/rules");
        var disk = listed.EnumerateArray().Single(r => r.GetProperty("rule").GetProperty("name").GetString() == "disk-full");
        Assert.Equal("file", disk.GetProperty("source").GetString());

        var replacement = new { name = "disk-full", metric = "disk_used_percent", threshold = 50 };
        foreach (var call in new Func<Task<HttpResponseMessage>>[]
        {
            () => admin.PostAsJsonAsync("/api/alerts/rules", replacement),
            () => admin.PutAsJsonAsync("/api/alerts/rules/disk-full", replacement),
            () => admin.DeleteAsync("/api/alerts/rules/disk-full"),
        })
        {
            using var response = await call();
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains("rules file", answer.GetProperty("message").GetString());
        }

        Assert.Equal(90, _app.Get<AlertRuleSet>().Find("disk-full")!.Threshold);
        Assert.Empty(await _app.Get<ChatOps.Core.Ports.IAlertRuleStore>().ListAsync());
    }
}
