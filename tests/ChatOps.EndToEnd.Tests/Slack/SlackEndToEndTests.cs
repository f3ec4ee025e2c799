using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Slack;

/// <summary>
/// Slack end to end: signed requests into the real chatops process, a real agent running the
/// command, and every message the process sends to Slack checked on a fake Web API.
/// </summary>
public sealed class SlackEndToEndTests(SlackServerFixture fixture) : IClassFixture<SlackServerFixture>
{
    private const string Admin = SlackServerFixture.AdminSlackUser;
    private FakeSlackWebApi Slack => fixture.Slack;
    private ChatOpsServer Server => fixture.Server;

    [Fact]
    public async Task A_slash_command_is_acked_then_runs_on_the_agent_with_its_output_in_the_roots_thread_and_the_result_on_the_root()
    {
        var (status, ack, took) = await SendAsync(SignedSlack.SlashCommand(Admin, "admin", "run uptime on web-1", "e2e-trigger-uptime", Slack.ResponseUrl("uptime")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(took < TimeSpan.FromSeconds(3), $"the ack took {took}");
        var commandId = CommandIdIn(ack);

        var calls = await Slack.WaitForAsync(all => all.Any(c => c.Method == "chat.update" && c.BlockText.Contains($"#{commandId}", StringComparison.Ordinal) && c.BlockText.Contains("succeeded", StringComparison.Ordinal)),
            context: () => Server.Output);
        var root = Assert.Single(calls, c => c.Method == "chat.postMessage" && c.ThreadTs is null && c.BlockText.Contains($"request #{commandId}", StringComparison.Ordinal));
        var rootTs = root.PostedTs;
        Assert.Contains($"<@{Admin}> asked for", root.BlockText);
        Assert.Contains("run uptime on web-1", root.BlockText);
        Assert.Equal("Bearer xoxb-e2e-bot-token", root.Authorization);

        var thread = calls.Where(c => c.Method == "chat.postMessage" && c.ThreadTs == rootTs).ToList();
        Assert.Contains(thread, c => c.Text.Contains($"#{commandId} is running on `web-1`", StringComparison.Ordinal));
        Assert.Contains(thread, c => c.Text.StartsWith("```", StringComparison.Ordinal) && c.Text.Contains("load average", StringComparison.Ordinal));
        Assert.Contains(thread, c => c.Text.Contains($"#{commandId} finished on `web-1`: exit code 0", StringComparison.Ordinal));

        var final = calls.Last(c => c.Method == "chat.update" && c.Get("ts") == rootTs);
        Assert.Contains("*succeeded* on `web-1` · exit code 0 · ", final.BlockText);
        Assert.Contains(" s · #" + commandId, final.BlockText);
    }

    [Fact]
    public async Task A_command_acked_before_its_root_still_gets_its_whole_thread_from_the_real_agent()
    {
        // The first command makes the channel one ChatOps has just posted in; the second is acked at once.
        var (_, first, _) = await SendAsync(SignedSlack.SlashCommand(Admin, "admin", "run echo warm-the-channel on web-1", "e2e-trigger-ackfirst-1", Slack.ResponseUrl("ackfirst-1")));
        var firstId = CommandIdIn(first);
        await Slack.WaitForAsync(all => all.Any(c => c.Method == "chat.postMessage" && c.BlockText.Contains($"request #{firstId}", StringComparison.Ordinal)));

        var (_, ack, _) = await SendAsync(SignedSlack.SlashCommand(Admin, "admin", "run echo after-the-ack on web-1", "e2e-trigger-ackfirst-2", Slack.ResponseUrl("ackfirst-2")));
        var commandId = CommandIdIn(ack);

        var calls = await Slack.WaitForAsync(all => all.Any(c => c.Method == "chat.update" && c.BlockText.Contains($"#{commandId}", StringComparison.Ordinal) && c.BlockText.Contains("succeeded", StringComparison.Ordinal)),
            context: () => Server.Output);
        Assert.Contains($"Slack slash command {commandId} from {SignedSlack.Team}/{Admin}: QueuedRootFollows", Server.Output);
        var root = Assert.Single(calls, c => c.Method == "chat.postMessage" && c.ThreadTs is null && c.BlockText.Contains($"request #{commandId}", StringComparison.Ordinal));
        var thread = calls.Where(c => c.Method == "chat.postMessage" && c.ThreadTs == root.PostedTs).ToList();
        Assert.Contains(thread, c => c.Text.Contains($"#{commandId} is running on `web-1`", StringComparison.Ordinal));
        Assert.Contains(thread, c => c.Text.Contains("after-the-ack", StringComparison.Ordinal));
        Assert.Contains(thread, c => c.Text.Contains($"#{commandId} finished on `web-1`: exit code 0", StringComparison.Ordinal));
        Assert.All(calls.Where(c => c.Method == "chat.update" && c.BlockText.Contains($"#{commandId}", StringComparison.Ordinal)), c => Assert.Equal(root.PostedTs, c.Get("ts")));
    }

    [Fact]
    public async Task The_requester_clicking_cancel_stops_a_running_sleep()
    {
        var (_, ack, _) = await SendAsync(SignedSlack.SlashCommand(Admin, "admin", "run sleep 60 on web-1", "e2e-trigger-sleep", Slack.ResponseUrl("sleep")));
        var commandId = CommandIdIn(ack);
        var running = await Slack.WaitForAsync(all => all.Any(c => c.Text.Contains($"#{commandId} is running", StringComparison.Ordinal)), context: () => Server.Output);
        var root = running.Single(c => c.Method == "chat.postMessage" && c.ThreadTs is null && c.BlockText.Contains($"request #{commandId}", StringComparison.Ordinal));
        var rootTs = root.PostedTs;
        Assert.Contains(commandId, root.BlockText); // the Cancel button carries the command id

        var (clickStatus, _, clickTook) = await SendAsync(SignedSlack.Click(Admin, "cancel", commandId, rootTs!, Slack.ResponseUrl("cancel-click"), "e2e-click-1"));

        Assert.Equal(HttpStatusCode.OK, clickStatus);
        Assert.True(clickTook < TimeSpan.FromSeconds(3), $"the click ack took {clickTook}");
        var calls = await Slack.WaitForAsync(all => all.Any(c => c.Method == "chat.update" && c.Get("ts") == rootTs && c.BlockText.Contains("cancelled", StringComparison.Ordinal)),
            context: () => Server.Output);
        Assert.Contains(calls, c => c.Method == "response" && c.Text.Contains($"Cancelling #{commandId}", StringComparison.Ordinal));
        var command = await Server.Http.GetFromJsonAsync<JsonElement>($"/api/commands/{commandId}");
        Assert.Equal("cancelled", command.GetProperty("state").GetString());
        Assert.True(command.GetProperty("finishedAt").GetDateTimeOffset() - command.GetProperty("createdAt").GetDateTimeOffset() < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_forged_user_name_of_an_admin_changes_nothing()
    {
        var (status, ack, _) = await SendAsync(SignedSlack.SlashCommand("U0NOBODY1", "admin", "run echo forged-by-name on web-1", "e2e-trigger-forged", Slack.ResponseUrl("forged")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("not mapped to a ChatOps user", ack);
        Assert.Contains($"slack:{SignedSlack.Team}/U0NOBODY1", ack);
        // A later accepted command proves the server got this far with the forged one and made nothing of it.
        var (_, later, _) = await SendAsync(SignedSlack.SlashCommand(Admin, "admin", "run echo after-forged on web-1", "e2e-trigger-after-forged", Slack.ResponseUrl("after")));
        var laterId = CommandIdIn(later);
        await Slack.WaitForAsync(all => all.Any(c => c.BlockText.Contains($"request #{laterId}", StringComparison.Ordinal)));
        var commands = await Server.Http.GetFromJsonAsync<JsonElement>("/api/commands?limit=100");
        Assert.DoesNotContain(commands.EnumerateArray(), c => c.GetProperty("text").GetString()!.Contains("forged-by-name", StringComparison.Ordinal));
        Assert.DoesNotContain(Slack.Calls, c => c.BlockText.Contains("forged-by-name", StringComparison.Ordinal) || c.Text.Contains("forged-by-name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unsigned_slash_command_from_an_admin_is_refused()
    {
        var request = SignedSlack.SlashCommand(Admin, "admin", "run echo unsigned on web-1", "e2e-trigger-unsigned", Slack.ResponseUrl("unsigned"));
        request.Headers.Remove("X-Slack-Signature");

        var (status, _, _) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        // The server's log reaches us through its stdout pipe, a moment after the response.
        await Eventually.MatchAsync(() => Task.FromResult(Server.Output), output => output.Contains("Refused a request to /slack/commands", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), output => output ?? "");
    }

    private async Task<(HttpStatusCode Status, string Body, TimeSpan Took)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            var started = Stopwatch.StartNew();
            using var response = await Server.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, body, started.Elapsed);
        }
    }

    private static string CommandIdIn(string ack)
    {
        using var document = JsonDocument.Parse(ack);
        var text = document.RootElement.GetProperty("text").GetString()!;
        var match = System.Text.RegularExpressions.Regex.Match(text, "^Queued as #([a-z0-9]+)");
        Assert.True(match.Success, "not queued: " + text);
        return match.Groups[1].Value;
    }
}
