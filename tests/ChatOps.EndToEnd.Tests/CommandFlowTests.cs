using System.Net;
using System.Net.Http.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests;

/// <summary>A command typed in chat runs on a real agent and its real output arrives in the thread.</summary>
public sealed class CommandFlowTests(ServerWithAgentFixture fixture) : IClassFixture<ServerWithAgentFixture>
{
    private ChatOpsServer Server => fixture.Server;

    [Fact]
    public async Task Run_uptime_on_a_server_returns_the_real_output_in_the_thread()
    {
        var answer = await Server.SayAsync("/chatops run uptime on web-1");

        Assert.NotNull(answer.CommandId);
        Assert.Contains($"#{answer.CommandId}", answer.Text);
        var thread = await Server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("succeeded", thread.Status);
        Assert.Contains("load average", thread.AllText);
        Assert.Contains("exit code 0", thread.AllText);
    }

    [Fact]
    public async Task Waiting_for_the_final_status_returns_the_finished_thread_in_one_call()
    {
        var answer = await Server.SayAsync("run web-1 echo waited");

        var thread = await Server.Http.GetFromJsonAsync<ThreadView>($"/api/chat/threads/{answer.ThreadId}?wait=final&timeoutMs=20000");

        Assert.Equal("succeeded", thread!.Status);
        Assert.Contains("waited", thread.AllText);
    }

    [Fact]
    public async Task Canonical_form_with_a_quoted_argument_reaches_the_agent_as_one_argument()
    {
        var answer = await Server.SayAsync("/chatops run web-1 echo \"hello   world\"");

        var thread = await Server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("succeeded", thread.Status);
        Assert.Contains("hello   world", thread.AllText);
    }

    [Fact]
    public async Task Shell_metacharacters_arrive_literally_and_run_nothing()
    {
        var canary = Path.Combine(Path.GetTempPath(), "pwned-" + Guid.NewGuid().ToString("N"));
        var answer = await Server.SayAsync($"run web-1 echo \"x; touch {canary} && echo $(id) | cat\"");

        var thread = await Server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("succeeded", thread.Status);
        Assert.Contains($"x; touch {canary} && echo $(id) | cat", thread.AllText);
        Assert.False(File.Exists(canary));
    }

    [Fact]
    public async Task Unknown_server_gets_a_clear_error_naming_the_known_ones()
    {
        var answer = await Server.SayAsync("/chatops run uptime on web-9");

        var thread = await Server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("rejected", thread.Status);
        Assert.Contains("Unknown server `web-9`", thread.AllText);
        Assert.Contains("web-1", thread.AllText);
    }

    [Fact]
    public async Task Unknown_command_gets_a_did_you_mean_and_queues_nothing()
    {
        var answer = await Server.SayAsync("/chatops restrat web-1 nginx");

        Assert.Null(answer.CommandId);
        Assert.Contains("Unknown command", answer.Text);
        Assert.Contains("restart", answer.Text);
    }

    [Fact]
    public async Task An_action_outside_the_agents_allowlist_is_refused_by_the_agent()
    {
        var answer = await Server.SayAsync("run web-1 reboot");

        var thread = await Server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("failed", thread.Status);
        Assert.Contains("refused", thread.AllText);
        Assert.Contains("reboot", thread.AllText);
    }

    [Fact]
    public async Task Built_ins_answer_at_once()
    {
        var servers = await Server.SayAsync("servers");
        var whoami = await Server.SayAsync("/chatops whoami");
        var help = await Server.SayAsync("help");

        Assert.Contains("`web-1` online", servers.Text);
        Assert.Contains("admin", whoami.Text);
        Assert.Contains("restart", help.Text);
        Assert.Null(help.CommandId);
    }

    [Fact]
    public async Task Status_shows_the_real_host_metrics_the_agent_reports()
    {
        var status = await Eventually.MatchAsync(async () => (await Server.SayAsync("status web-1")).Text,
            text => text.Contains("mem ", StringComparison.Ordinal), TimeSpan.FromSeconds(20), text => text ?? "");

        Assert.Contains("`web-1` online", status);
        Assert.Matches(@"mem \d+(\.\d)?%", status);
        Assert.Contains("load ", status);
        Assert.Contains("up ", status);
    }

    [Fact]
    public async Task Metrics_are_exported_in_prometheus_format()
    {
        var answer = await Server.SayAsync("run web-1 uptime");
        await Server.WaitForThreadAsync(answer.ThreadId);

        var metrics = await Eventually.MatchAsync(() => Server.Http.GetStringAsync("/metrics"),
            text => text.Contains("chatops_commands_total{status=\"succeeded\"}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), text => text ?? "");

        Assert.Contains("# TYPE chatops_commands_total counter", metrics);
        Assert.Contains("chatops_command_duration_seconds_bucket{status=\"succeeded\",le=\"+Inf\"}", metrics);
        Assert.Contains("chatops_agents_connected 1", metrics);
        Assert.Contains("chatops_chat_requests_total{outcome=\"queued\",platform=\"web\"}", metrics);
    }

    [Fact]
    public async Task The_chat_api_refuses_callers_without_a_valid_key()
    {
        using var anonymous = new HttpClient { BaseAddress = Server.Http.BaseAddress };
        using var response = await anonymous.PostAsJsonAsync("/api/chat/messages", new { text = "help" });
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "not-a-key");
        using var wrongKey = await anonymous.GetAsync("/api/chat/threads/t1");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
    }

    [Fact]
    public async Task Malformed_and_oversized_bodies_get_clear_4xx_answers()
    {
        using var malformed = await Server.Http.PostAsync("/api/chat/messages", new StringContent("{\"text\": ", System.Text.Encoding.UTF8, "application/json"));
        using var tooBig = await Server.Http.PostAsync("/api/chat/messages", new StringContent("{\"text\":\"" + new string('a', 70_000) + "\"}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not valid JSON", await malformed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
    }
}
