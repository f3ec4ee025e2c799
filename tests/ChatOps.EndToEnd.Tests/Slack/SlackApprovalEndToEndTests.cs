using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Slack;

/// <summary>
/// The real chatops process with <c>run</c> marked high-risk, two Slack users (a requester who is
/// also an approver, and a second approver) and a real agent: approvals decided with the buttons.
/// </summary>
public sealed class SlackApprovalServerFixture : IAsyncLifetime
{
    public const string Requester = "U0REQUEST1";
    public const string Approver = "U0APPROVE1";

    public FakeSlackWebApi Slack { get; } = new();
    public ChatOpsServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ChatOpsServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["ChatOps__Slack__SigningSecret"] = SignedSlack.Secret,
            ["ChatOps__Slack__BotToken"] = "xoxb-e2e-bot-token",
            ["ChatOps__Slack__ApiBaseUrl"] = Slack.ApiBaseUrl,
            ["ChatOps__Slack__Users"] = $"{Requester}=operator+approver,{Approver}=approver",
        });
        using (var risk = await Server.Http.PutAsJsonAsync("/api/catalog/run/risk", new { risk = "high" }))
            Assert.True(risk.IsSuccessStatusCode, $"marking run high-risk: {(int)risk.StatusCode} {await risk.Content.ReadAsStringAsync()}");
        await Server.StartAgentAsync("web-1");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Slack.DisposeAsync();
    }
}

public sealed class SlackApprovalEndToEndTests(SlackApprovalServerFixture fixture) : IClassFixture<SlackApprovalServerFixture>
{
    private const string A = SlackApprovalServerFixture.Requester;
    private const string B = SlackApprovalServerFixture.Approver;
    private FakeSlackWebApi Slack => fixture.Slack;
    private ChatOpsServer Server => fixture.Server;

    [Fact]
    public async Task A_high_risk_slash_command_runs_once_after_a_second_person_clicks_approve_and_never_on_the_requesters_own_click()
    {
        var (status, ack, took) = await SendAsync(SignedSlack.SlashCommand(A, "a", "run echo approved-by-b on web-1", "e2e-approve-trigger", Slack.ResponseUrl("approve-ack")));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(took < TimeSpan.FromSeconds(3), $"the ack took {took}");
        var id = CommandIdIn(ack);
        var rootTs = await WaitForApprovalButtonsAsync(id);

        // The requester's own click is refused, and nothing runs.
        var (ownStatus, _, ownTook) = await SendAsync(SignedSlack.Click(A, "approve", id, rootTs, Slack.ResponseUrl("own-click"), "e2e-own-click"));
        Assert.Equal(HttpStatusCode.OK, ownStatus);
        Assert.True(ownTook < TimeSpan.FromSeconds(3), $"the click ack took {ownTook}");
        await Slack.WaitForAsync(all => all.Any(c => c.Method == "response" && c.Text.Contains($"You cannot approve your own request #{id}", StringComparison.Ordinal))
            && all.Any(c => c.ThreadTs == rootTs && c.Text.Contains($"#{id}: approval attempt by", StringComparison.Ordinal)), context: () => Server.Output);
        Assert.Equal("awaiting_approval", (await CommandAsync(id)).GetProperty("state").GetString());

        // A second person with the approver role: it runs, once, with its real output in the thread.
        await SendAsync(SignedSlack.Click(B, "approve", id, rootTs, Slack.ResponseUrl("b-click"), "e2e-b-click"));
        var calls = await Slack.WaitForAsync(all => all.Any(c => c.Method == "chat.update" && c.Get("ts") == rootTs && c.BlockText.Contains("*succeeded*", StringComparison.Ordinal)),
            context: () => Server.Output);
        Assert.Contains(calls, c => c.Method == "response" && c.Text.Contains($"Approved #{id}", StringComparison.Ordinal));
        var thread = calls.Where(c => c.Method == "chat.postMessage" && c.ThreadTs == rootTs).ToList();
        Assert.Contains(thread, c => c.Text.Contains($"#{id} approved by slack:{B}; it runs now.", StringComparison.Ordinal));
        Assert.Single(thread, c => c.Text.StartsWith("```", StringComparison.Ordinal) && c.Text.Contains("approved-by-b", StringComparison.Ordinal));
        Assert.Contains(thread, c => c.Text.Contains($"#{id} finished on `web-1`: exit code 0", StringComparison.Ordinal));
        var command = await CommandAsync(id);
        Assert.Equal("succeeded", command.GetProperty("state").GetString());
        var all = await Server.Http.GetFromJsonAsync<JsonElement>("/api/commands?limit=200");
        Assert.Single(all.EnumerateArray(), c => c.GetProperty("text").GetString() == "run echo approved-by-b on web-1");
    }

    [Fact]
    public async Task A_high_risk_slash_command_denied_by_a_click_never_runs()
    {
        var (_, ack, _) = await SendAsync(SignedSlack.SlashCommand(A, "a", "run echo must-not-run on web-1", "e2e-deny-trigger", Slack.ResponseUrl("deny-ack")));
        var id = CommandIdIn(ack);
        var rootTs = await WaitForApprovalButtonsAsync(id);

        await SendAsync(SignedSlack.Click(B, "deny", id, rootTs, Slack.ResponseUrl("deny-click"), "e2e-deny-click"));

        var calls = await Slack.WaitForAsync(all => all.Any(c => c.Method == "chat.update" && c.Get("ts") == rootTs && c.BlockText.Contains("*rejected*", StringComparison.Ordinal)),
            context: () => Server.Output);
        Assert.Contains(calls, c => c.Method == "response" && c.Text.Contains($"Denied #{id}", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.ThreadTs == rootTs && c.Text.Contains($"#{id} denied by slack:{B}", StringComparison.Ordinal));
        var command = await CommandAsync(id);
        Assert.Equal("rejected", command.GetProperty("state").GetString());
        Assert.True(!command.TryGetProperty("startedAt", out var started) || started.ValueKind == JsonValueKind.Null, "a denied command started");
        Assert.DoesNotContain(Slack.Calls, c => c.Text.StartsWith("```", StringComparison.Ordinal) && c.Text.Contains("must-not-run", StringComparison.Ordinal));
        Assert.DoesNotContain(Slack.Calls, c => c.Text.Contains($"#{id} is running", StringComparison.Ordinal));
    }

    /// <summary>Waits until the root and the thread both offer Approve / Deny for <paramref name="id"/>; returns the root's ts.</summary>
    private async Task<string> WaitForApprovalButtonsAsync(string id)
    {
        var calls = await Slack.WaitForAsync(all =>
            all.Any(c => c.Method == "chat.update" && c.BlockText.Contains("awaiting approval", StringComparison.Ordinal) && c.BlockText.Contains($"#{id}", StringComparison.Ordinal))
            && all.Any(c => c.Method == "chat.postMessage" && c.Text.Contains($"#{id} needs approval", StringComparison.Ordinal)), context: () => Server.Output);
        var root = calls.Single(c => c.Method == "chat.postMessage" && c.ThreadTs is null && c.BlockText.Contains($"request #{id}", StringComparison.Ordinal));
        var update = calls.Last(c => c.Method == "chat.update" && c.Get("ts") == root.PostedTs);
        Assert.Contains(("approve", id), Buttons(update.Body));
        Assert.Contains(("deny", id), Buttons(update.Body));
        var prompt = calls.Single(c => c.Method == "chat.postMessage" && c.Text.Contains($"#{id} needs approval", StringComparison.Ordinal));
        Assert.Equal(root.PostedTs, prompt.ThreadTs);
        Assert.Contains(("approve", id), Buttons(prompt.Body));
        return root.PostedTs!;
    }

    private static List<(string, string)> Buttons(JsonElement body) =>
        body.GetProperty("blocks").EnumerateArray()
            .Where(b => b.GetProperty("type").GetString() == "actions")
            .SelectMany(b => b.GetProperty("elements").EnumerateArray())
            .Select(e => (e.GetProperty("action_id").GetString()!, e.GetProperty("value").GetString()!))
            .ToList();

    private async Task<JsonElement> CommandAsync(string id) => await Server.Http.GetFromJsonAsync<JsonElement>($"/api/commands/{id}");

    private async Task<(HttpStatusCode Status, string Body, TimeSpan Took)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            var started = Stopwatch.StartNew();
            using var response = await Server.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), started.Elapsed);
        }
    }

    private static string CommandIdIn(string ack)
    {
        using var document = JsonDocument.Parse(ack);
        var text = document.RootElement.GetProperty("text").GetString()!;
        var match = Regex.Match(text, "^Queued as #([a-z0-9]+)");
        Assert.True(match.Success, "not queued: " + text);
        return match.Groups[1].Value;
    }
}
