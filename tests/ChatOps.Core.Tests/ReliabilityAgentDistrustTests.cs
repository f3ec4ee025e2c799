using System.Reflection;
using System.Text.Json.Serialization;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using ChatOps.Core.Tests.Routing;

namespace ChatOps.Core.Tests;

/// <summary>
/// Reliability-security tests 16 and 24 at the gateway: an agent's output is capped by the gateway even
/// when the agent ignores its own cap, and the protocol's message types are an explicit list in which
/// the server-only types are refused from an agent.
/// </summary>
public sealed class ReliabilityAgentDistrustTests : IAsyncLifetime
{
    private RouterHarness _h = null!;

    public async Task InitializeAsync() => _h = await RouterHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Output_beyond_the_gateway_cap_is_dropped_after_one_truncation_marker()
    {
        var cap = new AgentGatewayOptions().MaxOutputBytesPerCommand;
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await agent.NextAsync<DispatchFrame>();
        await _h.Gateway.OnFrameAsync(agent, new AcceptedFrame(id), CancellationToken.None);

        // A malicious agent ignores its own cap: 3 × the gateway's cap in 1 MiB chunks, with markup and escapes.
        var chunk = "<script>x</script>\u001b[2J" + new string('y', 1024 * 1024 - 28);
        var chunks = (int)(3 * cap / chunk.Length) + 1;
        for (var seq = 1; seq <= chunks; seq++)
            Assert.True(await _h.Gateway.OnFrameAsync(agent, new OutputFrame(id, seq, "stdout", chunk), CancellationToken.None));
        await _h.Gateway.OnFrameAsync(agent, new ResultFrame(id, ResultStatuses.Succeeded, 0, 5, Truncated: false, OutputBytes: 3 * cap), CancellationToken.None);
        await _h.WaitForStoredStateAsync(id, CommandState.Succeeded);

        var output = await _h.Commands.GetOutputAsync(id);
        var stored = output.Sum(o => (long)o.Text.Length);
        Assert.True(stored <= cap + 200, $"{stored} characters stored for a cap of {cap} bytes");
        Assert.Equal($"[output truncated by the gateway after {cap} bytes]", output[^1].Text);
        Assert.Single(output, o => o.Text.StartsWith("[output truncated", StringComparison.Ordinal));
    }

    [Fact]
    public void The_protocol_has_exactly_the_documented_message_types()
    {
        var types = typeof(AgentFrame).GetCustomAttributes<JsonDerivedTypeAttribute>().Select(a => (string)a.TypeDiscriminator!).Order().ToList();

        Assert.Equal(["accepted", "cancel", "dispatch", "error", "heartbeat", "hello", "metrics", "output", "rejected", "result", "signed", "welcome"], types);
    }

    public static TheoryData<string> ServerOnlyFrames() => new() { "welcome", "dispatch", "cancel", "error", "hello" };

    [Theory]
    [MemberData(nameof(ServerOnlyFrames))]
    public async Task A_frame_only_the_server_may_send_closes_the_agents_connection(string type)
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        AgentFrame frame = type switch
        {
            "welcome" => new WelcomeFrame("web-1", "node-x", AgentProtocol.Version, 1, 1),
            "dispatch" => new DispatchFrame("d-1", "uptime", new Dictionary<string, string>(), [], 1, 1000, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue),
            "cancel" => new CancelFrame("d-1"),
            "error" => new ErrorFrame("boom"),
            _ => new HelloFrame("web-1", AgentProtocol.Version, "x", "h", []),
        };

        var kept = await _h.Gateway.OnFrameAsync(agent, frame, CancellationToken.None);

        Assert.False(kept);
        Assert.Contains("unexpected frame", agent.ClosedBecause, StringComparison.Ordinal);
    }
}
