using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Slack;

/// <summary>
/// An alert thread in Slack, end to end: the real chatops process, a real agent reporting its host's
/// metrics every second, and a rule on <c>uptime_seconds &lt; T</c> where T is a little above the
/// machine's uptime when the test starts. So the metric is past the threshold at once (the alert
/// fires), and crosses back by itself about half a minute later (the alert resolves), with no fake
/// metrics anywhere. Between the two, the Ack button is clicked in Slack.
/// </summary>
public sealed class SlackAlertEndToEndTests : IAsyncLifetime
{
    private const string AlertChannel = "C0E2EALRT";
    private const string Operator = "U0OPERATE1";
    private const int WindowSeconds = 30;

    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-slack-alerts-e2e-").FullName;
    private readonly FakeSlackWebApi _slack = new();
    private ChatOpsServer _server = null!;
    private string _rulesFile = null!;

    public async Task InitializeAsync()
    {
        _rulesFile = Path.Combine(_folder, "alerts.yaml");
        // Start with a rule that matches no server; the real one is written once the agent reports.
        await File.WriteAllTextAsync(_rulesFile, Rules("nothing-here", 0));
        _server = await ChatOpsServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["ChatOps__Slack__SigningSecret"] = SignedSlack.Secret,
            ["ChatOps__Slack__BotToken"] = "xoxb-e2e-bot-token",
            ["ChatOps__Slack__ApiBaseUrl"] = _slack.ApiBaseUrl,
            ["ChatOps__Slack__Users"] = $"{Operator}=operator",
            ["ChatOps__Alerts__RulesFile"] = _rulesFile,
            ["ChatOps__Alerts__RulesReloadInterval"] = "00:00:00.200",
            ["ChatOps__Alerts__TickInterval"] = "00:00:00.200",
            ["ChatOps__Gateway__MetricsInterval"] = "00:00:01",
        });
        await _server.StartAgentAsync("web-1");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _slack.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_metric_past_its_threshold_opens_a_slack_thread_that_the_ack_button_and_the_recovery_update()
    {
        var threshold = Math.Ceiling(MachineUptimeSeconds()) + WindowSeconds;
        await File.WriteAllTextAsync(_rulesFile, Rules("web-1", threshold));

        // Fired: the root card, posted in the route's channel, with the alert's buttons.
        var opened = await _slack.WaitForAsync(all => all.Any(IsAlertRoot), seconds: 30, context: () => _server.Output);
        var root = opened.Single(IsAlertRoot);
        Assert.Contains("CRITICAL · uptime-window on web-1 · FIRING", root.BlockText);
        Assert.Contains($"*Condition:*\nthreshold &lt; {threshold.ToString(CultureInfo.InvariantCulture)}", root.BlockText);
        Assert.Matches(@"\*Value:\*\n\d+", root.BlockText);
        var ack = Buttons(root.Body).Single(b => b.ActionId == "alert_ack");
        var alertId = Regex.Match(ack.Value, "^ack ([a-z0-9]+)$").Groups[1].Value;
        Assert.NotEqual("", alertId);
        Assert.Contains(Buttons(root.Body), b => b.ActionId == "alert_silence" && b.Value.StartsWith("silence web-1 1h --rule uptime-window", StringComparison.Ordinal));
        var rootTs = root.PostedTs!;

        // Ack, clicked by an operator in Slack: the signed click runs "ack <id>" as them.
        using (var click = SignedSlack.Click(Operator, ack.ActionId, ack.Value, rootTs, _slack.ResponseUrl("alert-ack"), "e2e-alert-ack"))
        using (var response = await _server.Http.SendAsync(click))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var acknowledged = await _slack.WaitForAsync(all =>
            all.Any(c => c.ThreadTs == rootTs && c.Text.Contains($"#{alertId} acknowledged by slack:{Operator}", StringComparison.Ordinal))
            && all.Any(c => c.Method == "chat.update" && c.Get("ts") == rootTs && c.BlockText.Contains("ACKNOWLEDGED", StringComparison.Ordinal)),
            context: () => _server.Output);
        Assert.Contains(acknowledged, c => c.Method == "response" && c.Text.Contains($"Acknowledged alert #{alertId}", StringComparison.Ordinal));
        var ackedRoot = acknowledged.Last(c => c.Method == "chat.update" && c.Get("ts") == rootTs);
        Assert.Contains($"*Acknowledged by:*\nslack:{Operator}", ackedRoot.BlockText);
        Assert.DoesNotContain(Buttons(ackedRoot.Body), b => b.ActionId == "alert_ack");

        // Recovered: the uptime passes the threshold by itself; the thread says so with the duration.
        var resolved = await _slack.WaitForAsync(all =>
            all.Any(c => c.ThreadTs == rootTs && c.Text.Contains($"#{alertId} resolved (recovered) after", StringComparison.Ordinal))
            && all.Any(c => c.Method == "chat.update" && c.Get("ts") == rootTs && c.BlockText.Contains("RESOLVED", StringComparison.Ordinal)),
            seconds: WindowSeconds + 60, context: () => _server.Output);
        var reply = resolved.Single(c => c.ThreadTs == rootTs && c.Text.Contains("resolved (recovered)", StringComparison.Ordinal));
        Assert.Matches(@"resolved \(recovered\) after \d+ (s|min)", reply.Text);
        var finalRoot = resolved.Last(c => c.Method == "chat.update" && c.Get("ts") == rootTs);
        Assert.Contains("*Lasted:*", finalRoot.BlockText);
        Assert.Empty(Buttons(finalRoot.Body));
        Assert.Single(resolved, IsAlertRoot); // one thread, however many events
    }

    private static bool IsAlertRoot(SlackApiCall call) =>
        call.Method == "chat.postMessage" && call.Get("channel") == AlertChannel && call.ThreadTs is null && call.BlockText.Contains("uptime-window", StringComparison.Ordinal);

    private static string Rules(string target, double threshold) => $$"""
        rules:
          - name: uptime-window
            metric: uptime_seconds
            target: {{target}}
            comparator: "<"
            threshold: {{threshold.ToString(CultureInfo.InvariantCulture)}}
            for: 0s
            severity: critical
            summary: The host has been up for less than the test's window.
            routes:
              - { platform: slack, channel: {{AlertChannel}} }
        """;

    private static double MachineUptimeSeconds() =>
        double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);

    private static List<(string ActionId, string Value)> Buttons(JsonElement body) =>
        body.GetProperty("blocks").EnumerateArray()
            .Where(b => b.GetProperty("type").GetString() == "actions")
            .SelectMany(b => b.GetProperty("elements").EnumerateArray())
            .Select(e => (e.GetProperty("action_id").GetString()!, e.GetProperty("value").GetString()!))
            .ToList();
}
