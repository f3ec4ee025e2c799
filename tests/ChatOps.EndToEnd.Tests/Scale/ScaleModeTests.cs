using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Scale;

/// <summary>
/// The same binary as four processes split by service (chat+web, router, agent-gateway,
/// metrics+alerts+notifications+scheduler) on Kafka, Redis and PostgreSQL, with a real agent.
/// </summary>
public sealed class ScaleModeTests(ScaleCluster cluster) : IClassFixture<ScaleCluster>
{
    private ChatOpsServer Chat => cluster.ChatWeb;

    [Fact]
    public async Task A_command_typed_in_chat_runs_on_the_agent_and_its_output_reaches_the_thread()
    {
        await Chat.StartAgentAsync("scale-1", gatewayPort: cluster.Gateway.Port);

        var answer = await Chat.SayAsync("run echo across-four-processes on scale-1");

        var thread = await Chat.WaitForThreadAsync(answer.ThreadId, seconds: 60);
        Assert.Equal("succeeded", thread.Status);
        Assert.Contains("across-four-processes", thread.AllText);
    }

    [Fact]
    public async Task A_metric_breach_opens_an_alert_thread()
    {
        await Chat.StartAgentAsync("scale-2", gatewayPort: cluster.Gateway.Port);

        var alert = await Eventually.MatchAsync(async () =>
        {
            var alerts = await Chat.Http.GetFromJsonAsync<JsonElement>("/api/alerts");
            return alerts.EnumerateArray().FirstOrDefault(a => a.GetProperty("serverId").GetString() == "scale-2");
        }, a => a.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(60), a => $"{a}\n--- workers ---\n{cluster.Workers.Output}");

        var id = alert.GetProperty("id").GetString();
        var thread = await Eventually.MatchAsync(async () =>
        {
            var detail = await Chat.Http.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}");
            return detail.GetProperty("threads").EnumerateArray().Select(t => t.GetProperty("platform").GetString()).ToList();
        }, platforms => platforms.Contains("web"), TimeSpan.FromSeconds(60), p => string.Join(",", p ?? []));
        Assert.Contains("web", thread);
    }

    [Fact]
    public async Task A_router_killed_mid_command_and_restarted_finishes_the_work_without_running_it_twice()
    {
        var agent = await Chat.StartAgentAsync("scale-3", gatewayPort: cluster.Gateway.Port);
        var answer = await Chat.SayAsync("run scale-3 sleep 4");
        await Chat.WaitForThreadAsync(answer.ThreadId, t => t.Status == "running", seconds: 60);

        await cluster.Router.KillAsync();
        await cluster.Router.RestartAsync();

        var thread = await Chat.WaitForThreadAsync(answer.ThreadId, seconds: 90);
        Assert.Equal("succeeded", thread.Status);
        // The thread's status is the notifier's and the command's state the router's: two consumers of the same
        // event, so the record may follow the thread by a moment (seen once the producer stopped lingering).
        var command = await Eventually.MatchAsync(
            () => Chat.Http.GetFromJsonAsync<JsonElement>($"/api/commands/{answer.CommandId}"),
            c => c.GetProperty("state").GetString() != "running",
            TimeSpan.FromSeconds(30),
            c => $"{c}");
        Assert.Equal("succeeded", command.GetProperty("state").GetString());
        // One execution: the agent accepted the command once (a second dispatch would be refused as a duplicate).
        Assert.Single(thread.Messages, m => m.Text.Contains("is running on", StringComparison.Ordinal));
        Assert.DoesNotContain("duplicate", agent.Output, StringComparison.OrdinalIgnoreCase);
    }
}
