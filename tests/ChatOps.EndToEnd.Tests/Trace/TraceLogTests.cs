using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Trace;

/// <summary>
/// <c>ChatOps:Logging:Format=json</c> on the real binary: one JSON object per line, each carrying the trace
/// id of the command it is about, from the chat request (which continues the caller's traceparent) to the
/// local agent's run; secrets never appear in the log.
/// </summary>
public sealed class TraceLogTests
{
    [Fact]
    public async Task Json_log_lines_of_one_command_carry_the_callers_trace_id_and_no_secret()
    {
        var traceId = Guid.NewGuid().ToString("N");
        await using var server = await ChatOpsServer.StartAsync(localAgent: true, settings: new Dictionary<string, string> { ["ChatOps__Logging__Format"] = "json" });
        await server.WaitAgentOnlineAsync("local");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/messages") { Content = JsonContent.Create(new { text = "run echo traced-hello on local" }) };
        request.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
        using var response = await server.Http.SendAsync(request);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        var thread = await server.WaitForThreadAsync(answer.GetProperty("threadId").GetString()!);
        Assert.Equal("succeeded", thread.Status);

        var traced = await Eventually.MatchAsync(
            () => Task.FromResult(TraceLogLine.InTrace(server.Output, traceId)),
            lines => lines.Any(l => l.Category.EndsWith("CommandIntake", StringComparison.Ordinal))
                // The router's dispatch may be started by its sweeper, outside the request's span; its handling of the request is in it.
                && lines.Any(l => l.Category.EndsWith("CommandRouter", StringComparison.Ordinal) && l.Message.Contains("queued", StringComparison.Ordinal))
                && lines.Any(l => l.Category.EndsWith("AgentGateway", StringComparison.Ordinal) && l.Message.Contains("sent to the agent", StringComparison.Ordinal))
                && lines.Any(l => l.Category == "ChatOps.Agent" && l.Message.Contains("succeeded", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20),
            lines => $"lines in trace {traceId}:\n{string.Join("\n", lines?.Select(l => $"{l.Category}: {l.Message}") ?? [])}\n--- log ---\n{server.Output}");

        Assert.All(traced, line => Assert.Equal(traceId, line.TraceId));
        Assert.DoesNotContain(server.ApiKey, server.Output);
        Assert.DoesNotContain("agt_", server.Output); // the local agent's token
        Assert.All(TraceLogLine.Parse(server.Output).Take(5), line => Assert.False(string.IsNullOrEmpty(line.Category)));
    }
}
