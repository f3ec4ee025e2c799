using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Trace;

/// <summary>
/// One command, four processes: the caller's trace id appears in the JSON logs of the chat process, the
/// router, the agent gateway and the agent (carried by Kafka headers, the gateway dispatch and the dispatch frame).
/// </summary>
public sealed class TraceAcrossProcessesTests(TraceCluster cluster) : IClassFixture<TraceCluster>
{
    [Fact]
    public async Task The_callers_trace_id_reaches_the_logs_of_chat_router_gateway_and_agent()
    {
        const string serverId = "trace-1";
        var chat = cluster.Chat;
        var token = await chat.EnrollAsync(serverId);
        await using var agent = StartJsonLoggingAgent(chat, serverId, token, cluster.Gateway.Port);
        await chat.WaitAgentOnlineAsync(serverId);

        var traceId = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/messages") { Content = JsonContent.Create(new { text = $"run echo traced-across on {serverId}" }) };
        request.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
        using var response = await chat.Http.SendAsync(request);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        var thread = await chat.WaitForThreadAsync(answer.GetProperty("threadId").GetString()!, seconds: 60);
        Assert.Equal("succeeded", thread.Status);

        await SeenAsync("chat", () => chat.Output, traceId, l => l.Category.EndsWith("CommandIntake", StringComparison.Ordinal));
        // The dispatch itself may be started by the router's sweeper, outside the request's span; the
        // request's handling is in the trace, and the dispatch carries the trace on to the gateway.
        await SeenAsync("router", () => cluster.Router.Output, traceId, l => l.Message.Contains("queued", StringComparison.Ordinal));
        await SeenAsync("gateway", () => cluster.Gateway.Output, traceId, l => l.Message.Contains("sent to the agent", StringComparison.Ordinal));
        await SeenAsync("agent", () => agent.Output, traceId, l => l.Message.Contains("succeeded", StringComparison.Ordinal));
        // The result came back in the same trace: the router logged the command's end within it.
        await SeenAsync("router", () => cluster.Router.Output, traceId, l => l.Message.Contains("finished", StringComparison.Ordinal));
    }

    private static async Task SeenAsync(string process, Func<string> output, string traceId, Func<TraceLogLine, bool> match) =>
        await Eventually.MatchAsync(
            () => Task.FromResult(TraceLogLine.InTrace(output(), traceId)),
            lines => lines.Any(match),
            TimeSpan.FromSeconds(20),
            lines => $"{process}: lines in trace {traceId}: {string.Join(" | ", lines?.Select(l => l.Message) ?? [])}\n--- {process} log ---\n{output()}");

    private static ChildProcess StartJsonLoggingAgent(ChatOpsServer server, string serverId, string token, int gatewayPort)
    {
        var dir = Path.Combine(server.DataDir, "agent-" + serverId);
        Directory.CreateDirectory(dir);
        var allowlist = Path.Combine(dir, "allowlist.json");
        File.WriteAllText(allowlist, TestAllowlists.Default);
        var tokenFile = Path.Combine(dir, "token");
        File.WriteAllText(tokenFile, token);
        return ChildProcess.StartDotnet(Binaries.Agent,
            ["--server", $"ws://127.0.0.1:{gatewayPort}/agents/connect", "--server-id", serverId, "--token-file", tokenFile,
             "--allowlist", allowlist, "--state", Path.Combine(dir, "state.json"), "--log-format", "json"],
            new Dictionary<string, string>(), dir);
    }
}
