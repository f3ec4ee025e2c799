using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Alerts;

/// <summary>
/// The real chatops process with its real local agent and a rules file: a metric the agent reports
/// crosses a threshold, the alert thread appears in the web channel (and an email in the SMTP sink),
/// ack in chat, resolve in chat, each shown in the thread.
/// </summary>
public sealed class AlertFlowTests : IAsyncLifetime
{
    private const string Rules = """
        rules:
          - name: local-up
            metric: uptime_seconds
            target: local
            comparator: ">"
            threshold: 0
            for: 0s
            severity: warning
            summary: The local machine is up (a rule that always fires, for the test).
            routes:
              - platform: web
                channel: ops
              - platform: email
                channel: oncall@example.com
            runbook: "run {server} uptime"
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-alerts-e2e-").FullName;
    private SmtpSink _smtp = null!;
    private ChatOpsServer _server = null!;

    public async Task InitializeAsync()
    {
        _smtp = new SmtpSink();
        var rulesFile = Path.Combine(_folder, "alerts.yaml");
        await File.WriteAllTextAsync(rulesFile, Rules);
        _server = await ChatOpsServer.StartAsync(localAgent: true, settings: new Dictionary<string, string>
        {
            ["ChatOps__Alerts__RulesFile"] = rulesFile,
            ["ChatOps__Alerts__TickInterval"] = "00:00:00.200",
            ["ChatOps__Alerts__DeliveryInterval"] = "00:00:00.200",
            ["ChatOps__Email__Host"] = "127.0.0.1",
            ["ChatOps__Email__Port"] = _smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ChatOps__Email__Security"] = "None",
            ["ChatOps__Email__From"] = "chatops@example.com",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _smtp.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_breached_rule_opens_a_thread_that_ack_and_resolve_update()
    {
        var alert = await Eventually.MatchAsync(
            async () => (await _server.Http.GetFromJsonAsync<JsonElement>("/api/alerts")).EnumerateArray().FirstOrDefault(a => a.GetProperty("rule").GetString() == "local-up"),
            a => a.ValueKind == JsonValueKind.Object && a.GetProperty("state").GetString() == "firing",
            TimeSpan.FromSeconds(60),
            _ => "no firing local-up alert\n" + _server.Output);
        var id = alert.GetProperty("id").GetString()!;
        Assert.Equal("local", alert.GetProperty("serverId").GetString());

        var opened = await WaitForThreadAsync(id, t => t.Messages.Count >= 1);
        Assert.Equal("ops", opened.Channel);
        Assert.Equal("firing", opened.Status);
        var root = opened.Messages[0];
        Assert.Contains("WARNING · local-up on local · FIRING", root);
        Assert.Contains("uptime_seconds = ", root);
        Assert.Contains("(threshold > 0)", root);
        Assert.Contains($"Ack → `ack {id}`", root);
        Assert.Contains("Run runbook → `run local uptime`", root);
        Assert.Contains("Silence 1h → `silence local 1h --rule local-up", root);

        var ack = await _server.SayAsync($"/chatops ack {id}");
        Assert.Contains($"Acknowledged alert #{id}", ack.Text);
        var acknowledged = await WaitForThreadAsync(id, t => t.Status == "acknowledged" && t.Messages.Any(m => m.Contains("acknowledged by admin", StringComparison.Ordinal)));
        Assert.Single(acknowledged.Messages, m => m.Contains("acknowledged by", StringComparison.Ordinal));

        var resolve = await _server.SayAsync($"resolve {id}");
        Assert.Contains($"Resolved alert #{id}", resolve.Text);
        var resolved = await WaitForThreadAsync(id, t => t.Status == "resolved" && t.Messages.Any(m => m.Contains("resolved by admin after", StringComparison.Ordinal)));
        Assert.Matches(@"resolved by admin after \d+ (s|min)", string.Join("\n", resolved.Messages));

        var emails = await Eventually.MatchAsync(() => Task.FromResult(_smtp.Messages.Where(m => m.Header("X-ChatOps-Alert") == id).ToList()),
            messages => messages.Count >= 3, TimeSpan.FromSeconds(30), m => $"{m?.Count ?? 0} email(s) for {id}\n{_server.Output}");
        Assert.Equal(["acknowledged", "fired", "resolved"], emails.Select(m => m.Header("X-ChatOps-Event")).Order());
        Assert.All(emails, m => Assert.Equal(["oncall@example.com"], m.To));
        Assert.All(emails, m => Assert.Equal("chatops@example.com", m.From));

        // Still breaching, but just resolved by hand: flap damping keeps it from reopening at once.
        var list = await _server.Http.GetFromJsonAsync<JsonElement>("/api/alerts");
        Assert.DoesNotContain(list.EnumerateArray(), a => a.GetProperty("rule").GetString() == "local-up");
    }

    [Fact]
    public async Task The_alert_api_needs_an_api_key_and_shows_rules_and_silences()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.Http.BaseAddress };
        using var refused = await anonymous.GetAsync("/api/alerts");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var silence = await _server.SayAsync("silence role:db 2h \"db maintenance\"");
        Assert.Contains("Silenced `role:db`", silence.Text);

        var rules = await _server.Http.GetFromJsonAsync<JsonElement>("/api/alerts/rules");
        var rule = Assert.Single(rules.EnumerateArray());
        Assert.Equal("file", rule.GetProperty("source").GetString());
        Assert.Equal("local-up", rule.GetProperty("rule").GetProperty("name").GetString());
        var silences = await _server.Http.GetFromJsonAsync<JsonElement>("/api/alerts/silences");
        Assert.Equal("db maintenance", Assert.Single(silences.EnumerateArray()).GetProperty("comment").GetString());
        using var missing = await _server.Http.GetAsync("/api/alerts/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private sealed record AlertThreadView(string Channel, string Status, IReadOnlyList<string> Messages);

    private Task<AlertThreadView> WaitForThreadAsync(string alertId, Func<AlertThreadView, bool> until) =>
        Eventually.MatchAsync(async () =>
        {
            var detail = await _server.Http.GetFromJsonAsync<JsonElement>($"/api/alerts/{alertId}");
            var web = detail.GetProperty("threads").EnumerateArray().FirstOrDefault(t => t.GetProperty("platform").GetString() == "web");
            return web.ValueKind != JsonValueKind.Object
                ? new AlertThreadView("", "", [])
                : new AlertThreadView(web.GetProperty("channel").GetString()!, web.GetProperty("status").GetString() ?? "",
                    web.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()!).ToList());
        }, until, TimeSpan.FromSeconds(30), t => $"thread of {alertId}: {t?.Status} {string.Join(" | ", t?.Messages ?? [])}\n{_server.Output}");
}
