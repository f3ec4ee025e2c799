using System.Net;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests;

public sealed class AgentFailureTests : IAsyncLifetime
{
    private ChatOpsServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatOpsServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_agent_killed_mid_command_yields_agent_disconnected_and_frees_the_server()
    {
        var agent = await _server.StartAgentAsync("web-3");
        var answer = await _server.SayAsync("run web-3 sleep 60");
        await _server.WaitForThreadAsync(answer.ThreadId, t => t.Status == "running");

        await agent.KillAsync();

        var thread = await _server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("failed", thread.Status);
        Assert.Contains("disconnected", thread.AllText);

        // The lock was released: a new agent for web-3 runs the next command at once.
        await _server.StartAgentAsync("web-3");
        var next = await _server.SayAsync("run web-3 uptime");
        var nextThread = await _server.WaitForThreadAsync(next.ThreadId);
        Assert.Equal("succeeded", nextThread.Status);
        Assert.DoesNotContain("is waiting", nextThread.AllText);
    }

    [Fact]
    public async Task A_command_for_an_offline_agent_says_so()
    {
        await _server.EnrollAsync("db-1");

        var answer = await _server.SayAsync("run db-1 uptime");

        var thread = await _server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("failed", thread.Status);
        Assert.Contains("offline", thread.AllText);
    }

    [Fact]
    public async Task A_bad_or_revoked_agent_token_is_refused()
    {
        var oldToken = await _server.EnrollAsync("web-4");
        await _server.EnrollAsync("web-4"); // re-enrolment revokes the old token

        using var anonymous = new HttpClient { BaseAddress = _server.Http.BaseAddress };
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "agt_not-a-real-token");
        using var bad = await anonymous.GetAsync("/agents/connect");
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", oldToken);
        using var revoked = await anonymous.GetAsync("/agents/connect");

        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);

        // A real agent with the revoked token never comes online and says why.
        await using var agent = AgentProcess.StartWithToken(_server, "web-4", oldToken);
        await Eventually.MatchAsync(() => Task.FromResult(agent.Output), o => o.Contains("401", StringComparison.Ordinal) || o.Contains("nauthorized", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), o => o ?? "");
        var servers = await _server.SayAsync("servers");
        Assert.Contains("`web-4` offline", servers.Text);
    }
}
