using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Teams;

/// <summary>
/// Alert threads in Teams, end to end: the real chatops process with a real agent (web-1) whose
/// reported uptime crosses a rule's threshold; the alert card starts a new thread in the Teams channel
/// (a proactive post), an Ack click (a signed activity) acknowledges it as the clicking user, and when
/// the metric recovers (the threshold is raised in the rules file) the thread hears it with the duration.
/// The connector throttles the first post; it is waited out, counted at <c>/metrics</c>, and nothing is lost.
/// </summary>
public sealed class TeamsAlertFlowTests : IAsyncLifetime
{
    private const string Channel = "19:alerts-e2e@thread.tacv2";
    private const string OnCallAad = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";

    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-teams-alerts-e2e-").FullName;
    private string RulesFile => Path.Combine(_folder, "alerts.yaml");
    private FakeTeamsService _teams = null!;
    private ChatOpsServer _server = null!;

    private static string Rules(string threshold) => $$"""
        rules:
          - name: web-up
            metric: uptime_seconds
            target: web-1
            comparator: ">"
            threshold: {{threshold}}
            for: 0s
            severity: critical
            summary: web-1 is up (a rule that fires at once, for the test).
            runbook: "run {server} uptime"
            routes:
              - platform: teams
                channel: "{{Channel}}"
        """;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(RulesFile, Rules("0"));
        _teams = new FakeTeamsService();
        // The first alert thread meets a throttled connector: 429 with Retry-After, then a 502.
        _teams.Script((429, "1"), (502, null));
        var settings = _teams.Settings(OnCallAad);
        settings["ChatOps__Teams__ServiceUrl"] = _teams.BaseUrl;
        settings["ChatOps__Teams__TenantId"] = FakeTeamsService.Tenant;
        settings["ChatOps__Alerts__RulesFile"] = RulesFile;
        settings["ChatOps__Alerts__RulesReloadInterval"] = "00:00:00.200";
        settings["ChatOps__Alerts__TickInterval"] = "00:00:00.200";
        settings["ChatOps__Gateway__MetricsInterval"] = "00:00:01";
        _server = await ChatOpsServer.StartAsync(settings: settings);
        await _server.StartAgentAsync("web-1");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _teams.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_breach_opens_a_teams_thread_an_ack_click_acknowledges_it_and_recovery_resolves_it()
    {
        var created = (await _teams.WaitForAsync(c => c.Method == "POST" && c.Path == "/v3/conversations" && c.Status == 200, seconds: 60))[0];
        Assert.Equal([429, 502, 200], _teams.Calls.Where(c => c.Path == "/v3/conversations").Select(c => c.Status));
        var metrics = await _server.Http.GetStringAsync("/metrics");
        Assert.Contains("chatops_chat_api_errors_total{error=\"429\",platform=\"teams\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("chatops_chat_api_errors_total{error=\"502\",platform=\"teams\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("chatops_chat_rate_limit_wait_seconds_count{platform=\"teams\"} 1", metrics, StringComparison.Ordinal);
        var request = created.Json;
        Assert.Equal(Channel, (string?)request["channelData"]!["channel"]!["id"]);
        var card = request["activity"]!["attachments"]![0]!["content"]!.AsObject();
        var facts = Facts(card);
        Assert.Equal("critical", facts["Severity"]);
        Assert.Equal("firing", facts["State"]);
        Assert.Equal("web-1", facts["Server"]);
        Assert.Equal("threshold > 0", facts["Condition"]);
        Assert.True(double.Parse(facts["Value"], System.Globalization.CultureInfo.InvariantCulture) > 0, facts["Value"]);
        var buttons = card["actions"]!.AsArray().Select(a => a!["data"]!.AsObject()).ToList();
        var alertId = (string)buttons[0]["alertId"]!;
        Assert.Equal([$"ack {alertId}", $"resolve {alertId}", "run web-1 uptime", $"silence web-1 1h --rule web-up \"from alert {alertId}\""],
            buttons.Select(b => (string?)b["command"]));
        var answer = JsonNode.Parse(created.Answer)!;
        var thread = (string)answer["id"]!;
        var root = (string)answer["activityId"]!;

        // Ack, clicked by the on-call engineer in the thread.
        var click = _teams.Click(thread, "click-ack", root, buttons[0].DeepClone().AsObject(), OnCallAad);
        click["from"]!["name"] = "Olive Oncall";
        using (var clicked = await _teams.SendAsync(_server.Http.BaseAddress!, click))
            Assert.Equal(HttpStatusCode.OK, clicked.StatusCode);

        var answered = await _teams.WaitForAsync(c => c.Method == "POST" && c.Path == $"/v3/conversations/{thread}/activities/click-ack");
        Assert.Contains($"Acknowledged alert #{alertId}", answered[0].Shown, StringComparison.Ordinal);
        var acknowledged = await _teams.WaitForAsync(c => c.Method == "POST" && c.Path == $"/v3/conversations/{thread}/activities/{root}"
            && c.Shown.Contains($"#{alertId} acknowledged by Olive Oncall", StringComparison.Ordinal));
        Assert.Equal(200, acknowledged[0].Status);
        var updated = await _teams.WaitForAsync(c => c.Method == "PUT" && c.Path == $"/v3/conversations/{thread}/activities/{root}"
            && Facts(c.Json["attachments"]![0]!["content"]!).GetValueOrDefault("Acknowledged by") == "Olive Oncall");
        Assert.Equal("acknowledged", Facts(updated[0].Json["attachments"]![0]!["content"]!)["State"]);
        Assert.DoesNotContain(updated[0].Json["attachments"]![0]!["content"]!["actions"]!.AsArray(), a => (string?)a!["data"]!["command"] == $"ack {alertId}");
        var detail = await _server.Http.GetFromJsonAsync<JsonElement>($"/api/alerts/{alertId}");
        Assert.Equal("acknowledged", detail.GetProperty("alert").GetProperty("state").GetString());
        var ledger = Assert.Single(detail.GetProperty("threads").EnumerateArray());
        Assert.Equal("teams", ledger.GetProperty("platform").GetString());
        Assert.Equal(thread, ledger.GetProperty("channel").GetString());
        Assert.Equal(root, ledger.GetProperty("threadId").GetString());

        // The metric recovers: the threshold moves far above the uptime the agent reports.
        await ReplaceAsync(RulesFile, Rules("1000000000000"));
        var resolved = await _teams.WaitForAsync(c => c.Method == "POST" && c.Path == $"/v3/conversations/{thread}/activities/{root}"
            && c.Shown.Contains($"#{alertId} resolved (recovered) after", StringComparison.Ordinal), seconds: 60);
        Assert.Matches(@"resolved \(recovered\) after \d+ (s|min)", resolved[0].Shown);
        var final = await _teams.WaitForAsync(c => c.Method == "PUT" && c.Path == $"/v3/conversations/{thread}/activities/{root}"
            && Facts(c.Json["attachments"]![0]!["content"]!).GetValueOrDefault("State") == "resolved");
        Assert.Contains("Lasted", Facts(final[0].Json["attachments"]![0]!["content"]!).Keys);
        Assert.Single(_teams.CallsIn(thread), c => c.Method == "POST" && c.Shown.Contains("acknowledged by Olive Oncall", StringComparison.Ordinal));
        Assert.Single(_teams.Calls, c => c.Path == "/v3/conversations" && c.Status == 200);
    }

    private static Dictionary<string, string> Facts(JsonNode card) =>
        card["body"]!.AsArray().Where(b => (string?)b!["type"] == "FactSet").SelectMany(b => b!["facts"]!.AsArray())
            .ToDictionary(f => (string)f!["title"]!, f => (string)f!["value"]!);

    // Written aside and moved in, as an editor or a config-management tool would, so no half file is read.
    private static async Task ReplaceAsync(string file, string content)
    {
        var aside = file + ".new";
        await File.WriteAllTextAsync(aside, content);
        File.Move(aside, file, overwrite: true);
    }
}
