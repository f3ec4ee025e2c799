using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests;

/// <summary>
/// A stop (SIGTERM from systemd, docker or Kubernetes) must not hang on long-lived connections: the
/// local agent's WebSocket, a remote agent's WebSocket and an open live page would otherwise each keep
/// Kestrel waiting for its whole shutdown timeout (30 s), and orchestrators then SIGKILL us.
/// </summary>
public sealed class GracefulStopTests
{
    // Well under the host's 30 s shutdown timeout, so a hang shows as a failure, not a slow pass.
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Sigterm_with_agents_and_a_live_page_connected_exits_cleanly_before_the_shutdown_timeout()
    {
        await using var server = await ChatOpsServer.StartAsync(localAgent: true);
        await server.WaitAgentOnlineAsync("local");
        await server.StartAgentAsync("web-1");

        using var live = await server.Http.GetAsync("/api/live", HttpCompletionOption.ResponseHeadersRead);
        Assert.True(live.IsSuccessStatusCode, $"GET /api/live answered {(int)live.StatusCode}");
        await using var stream = await live.Content.ReadAsStreamAsync();
        var first = new byte[64];
        Assert.True(await stream.ReadAsync(first) > 0, "the live page should be connected before the stop");

        int exitCode;
        try
        {
            exitCode = await server.StopGracefullyAsync(StopBound);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"chatops did not exit within {StopBound.TotalSeconds} s of SIGTERM:\n{server.Output}");
        }

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{server.Output}");
    }
}
