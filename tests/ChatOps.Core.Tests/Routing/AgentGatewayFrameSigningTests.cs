using ChatOps.Core.Agents;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Tests.Routing;

/// <summary>
/// Reliability-security test 15 at the gateway: on a session opened with the agent's keys, dispatches and
/// cancels go out signed for that agent and connection, and only frames the agent signed for this connection,
/// fresh and never seen before, are taken. Anything else is refused, audited and ends the session: 0 accepted results.
/// </summary>
public sealed class AgentGatewayFrameSigningTests : IAsyncLifetime
{
    private const string Token = "agt_web-1-token";
    private const string OtherToken = "agt_web-2-token";
    private static readonly AgentFrameKeys Keys = AgentFrameKeys.Derive(Token, "web-1");

    private RouterHarness _h = null!;

    public async Task InitializeAsync() => _h = await RouterHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_correctly_signed_round_trip_runs_the_command_to_success()
    {
        var agent = await ConnectAsync();
        var id = await _h.RequestAsync("run web-1 uptime");

        var dispatch = Assert.IsType<DispatchFrame>(await agent.ReceiveAsync());
        Assert.Equal(id, dispatch.CommandId);
        Assert.True(await agent.SendAsync(new AcceptedFrame(id)));
        Assert.True(await agent.SendAsync(new OutputFrame(id, 1, "stdout", "up 3 days\n")));
        Assert.True(await agent.SendAsync(new ResultFrame(id, ResultStatuses.Succeeded, 0, 12, false, 10)));

        await _h.WaitForStoredStateAsync(id, CommandState.Succeeded);
        Assert.Equal(["up 3 days\n"], (await _h.Commands.GetOutputAsync(id)).Select(o => o.Text));
        Assert.Empty(await _h.Audit.QueryAsync(new AuditQuery(Action: "agent.unverified_frame")));
    }

    [Fact]
    public async Task Dispatches_and_cancels_go_out_signed_for_this_agent_and_connection_only()
    {
        var agent = await ConnectAsync();
        var id = await _h.RequestAsync("run web-1 sleep 100");
        var signed = await agent.Session.NextAsync<SignedFrame>();

        Assert.IsType<DispatchFrame>(agent.Verify(signed).Frame);
        // Not under the agent's own direction key (no reflection), another agent's key, or another connection.
        Assert.Equal(FrameRefusals.BadSignature, Verifier(Keys.ToGateway, "web-1", "conn-1").Verify(signed).Refusal);
        Assert.Equal(FrameRefusals.BadSignature, Verifier(AgentFrameKeys.Derive(OtherToken, "web-1").ToAgent, "web-1", "conn-1").Verify(signed).Refusal);
        Assert.Equal(FrameRefusals.WrongConnection, Verifier(Keys.ToAgent, "web-1", "conn-0").Verify(signed).Refusal);

        Assert.True(await agent.SendAsync(new AcceptedFrame(id)));
        await _h.WaitForStoredStateAsync(id, CommandState.Running);
        await _h.RequestCancelAsync(id);
        Assert.Equal(id, Assert.IsType<CancelFrame>(await agent.ReceiveAsync()).CommandId);
    }

    public static TheoryData<string, string> ForgedResults() => new()
    {
        { "unsigned", FrameRefusals.Unsigned },
        { "flipped signature byte", FrameRefusals.BadSignature },
        { "flipped payload byte", FrameRefusals.BadSignature },
        { "another agent's key claiming this one", FrameRefusals.BadSignature },
        { "this agent's key for another server id", FrameRefusals.BadSignature },
        { "the gateway's direction key", FrameRefusals.BadSignature },
        { "payload naming another server", FrameRefusals.WrongServer },
        { "another connection", FrameRefusals.WrongConnection },
        { "expired", FrameRefusals.Expired },
        { "expiring too far ahead", FrameRefusals.TooFarAhead },
    };

    [Theory]
    [MemberData(nameof(ForgedResults))]
    public async Task A_result_that_fails_verification_is_not_accepted_and_is_audited(string forgery, string refusal)
    {
        var agent = await ConnectAsync();
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await agent.ReceiveAsync();
        Assert.True(await agent.SendAsync(new AcceptedFrame(id)));
        await _h.WaitForStoredStateAsync(id, CommandState.Running);

        var result = new ResultFrame(id, ResultStatuses.Succeeded, 0, 5, false, 0);
        var now = _h.Time.GetUtcNow();
        var frame = forgery switch
        {
            "unsigned" => (AgentFrame)result,
            "flipped signature byte" => FlipSignatureByte(agent.Signer.Sign(result)),
            "flipped payload byte" => FlipPayloadByte(agent.Signer.Sign(result)),
            "another agent's key claiming this one" => Signer(AgentFrameKeys.Derive(OtherToken, "web-2").ToGateway, "web-1", "conn-1").Sign(result),
            "this agent's key for another server id" => Signer(AgentFrameKeys.Derive(Token, "web-2").ToGateway, "web-1", "conn-1").Sign(result),
            "the gateway's direction key" => Signer(Keys.ToAgent, "web-1", "conn-1").Sign(result),
            "payload naming another server" => agent.Signer.Sign(new SignedFramePayload("web-2", "conn-1", AgentFrameSigner.NewNonce(), now.AddSeconds(30), result)),
            "another connection" => Signer(Keys.ToGateway, "web-1", "conn-0").Sign(result),
            "expired" => agent.Signer.Sign(new SignedFramePayload("web-1", "conn-1", AgentFrameSigner.NewNonce(), now - AgentFrameSigning.ClockSkew - TimeSpan.FromSeconds(1), result)),
            _ => agent.Signer.Sign(new SignedFramePayload("web-1", "conn-1", AgentFrameSigner.NewNonce(), now.AddDays(1), result)),
        };

        Assert.False(await _h.Gateway.OnFrameAsync(agent.Session, frame, CancellationToken.None));

        Assert.Contains($"frame refused ({refusal})", agent.Session.ClosedBecause, StringComparison.Ordinal);
        Assert.Contains($"({refusal})", (await agent.Session.NextAsync<ErrorFrame>()).Message, StringComparison.Ordinal);
        var audit = Assert.Single(await _h.Audit.QueryAsync(new AuditQuery(Action: "agent.unverified_frame")));
        Assert.Equal(("agent:web-1", "denied"), (audit.Actor, audit.Outcome));
        Assert.StartsWith(refusal, audit.Detail, StringComparison.Ordinal);
        await AssertStillRunningWithOnlyAsync(agent, id, []);
    }

    [Fact]
    public async Task A_signed_frame_is_refused_when_replayed_with_the_same_nonce()
    {
        var agent = await ConnectAsync();
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await agent.ReceiveAsync();
        Assert.True(await agent.SendAsync(new AcceptedFrame(id)));
        var output = agent.Signer.Sign(new OutputFrame(id, 1, "stdout", "once\n"));
        Assert.True(await _h.Gateway.OnFrameAsync(agent.Session, output, CancellationToken.None));

        Assert.False(await _h.Gateway.OnFrameAsync(agent.Session, output, CancellationToken.None));

        Assert.Contains($"({FrameRefusals.Replayed})", agent.Session.ClosedBecause, StringComparison.Ordinal);
        Assert.Single(await _h.Audit.QueryAsync(new AuditQuery(Action: "agent.unverified_frame")));
        await AssertStillRunningWithOnlyAsync(agent, id, ["once\n"]);
    }

    [Fact]
    public async Task A_result_replayed_on_the_agents_next_connection_is_refused()
    {
        var first = await ConnectAsync("conn-a");
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await first.ReceiveAsync();
        var result = first.Signer.Sign(new ResultFrame(id, ResultStatuses.Succeeded, 0, 5, false, 0));

        var second = await ConnectAsync("conn-b");

        Assert.False(await _h.Gateway.OnFrameAsync(second.Session, result, CancellationToken.None));
        Assert.Contains($"({FrameRefusals.WrongConnection})", second.Session.ClosedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Heartbeats_on_a_signed_session_must_be_signed_too()
    {
        var agent = await ConnectAsync();

        Assert.True(await agent.SendAsync(new HeartbeatFrame(1, _h.Time.GetUtcNow())));
        Assert.False(await _h.Gateway.OnFrameAsync(agent.Session, new HeartbeatFrame(2, _h.Time.GetUtcNow()), CancellationToken.None));

        Assert.Contains($"({FrameRefusals.Unsigned})", agent.Session.ClosedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signed_frame_of_a_type_only_the_gateway_sends_is_refused()
    {
        var agent = await ConnectAsync();

        var kept = await agent.SendAsync(new DispatchFrame("d-1", "uptime", new Dictionary<string, string>(), [], 1, 1000, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue));

        Assert.False(kept);
        Assert.Contains("unexpected frame", agent.Session.ClosedBecause, StringComparison.Ordinal);
    }

    /// <summary>
    /// Proves a refused frame left nothing behind: a correctly signed output frame sent after it is stored, and
    /// (the router handling a server's events in order) nothing the refused frame said was. The fake session is
    /// still registered here; in the server the endpoint ends the refused connection.
    /// </summary>
    private async Task AssertStillRunningWithOnlyAsync(SigningAgent agent, string id, IReadOnlyList<string> expectedOutput)
    {
        Assert.True(await agent.SendAsync(new OutputFrame(id, 99, "stdout", "sentinel\n")));
        await RouterHarness.WaitUntilAsync(async () => (await _h.Commands.GetOutputAsync(id)).Any(o => o.Text == "sentinel\n"), "the sentinel output stored");
        Assert.Equal([.. expectedOutput, "sentinel\n"], (await _h.Commands.GetOutputAsync(id)).Select(o => o.Text));
        Assert.Equal(CommandState.Running, (await _h.Commands.GetAsync(id))!.State);
    }

    private async Task<SigningAgent> ConnectAsync(string connectionId = "conn-1")
    {
        var session = new FakeAgentSession("web-1", connectionId);
        Assert.True(await _h.Gateway.OnHelloAsync(session, new HelloFrame("web-1", AgentProtocol.Version, "test", "host", ["uptime", "sleep"]), Keys, CancellationToken.None));
        var welcome = await session.NextAsync<WelcomeFrame>();
        Assert.Equal(connectionId, welcome.ConnectionId);
        return new SigningAgent(_h, session, Signer(Keys.ToGateway, "web-1", connectionId), Verifier(Keys.ToAgent, "web-1", connectionId));
    }

    private AgentFrameSigner Signer(AgentFrameKey key, string serverId, string connectionId) => new(key, serverId, connectionId, _h.Time);

    private AgentFrameVerifier Verifier(AgentFrameKey key, string serverId, string connectionId) => new(key, serverId, connectionId, new ReplayWindow(), _h.Time);

    private static SignedFrame FlipSignatureByte(SignedFrame frame)
    {
        var sig = Convert.FromBase64String(frame.Sig);
        sig[7] ^= 0x01;
        return frame with { Sig = Convert.ToBase64String(sig) };
    }

    private static SignedFrame FlipPayloadByte(SignedFrame frame)
    {
        // The exit code 0 becomes 1: the payload still parses, it just says something other than what was signed.
        var payload = Convert.FromBase64String(frame.Payload);
        var at = payload.AsSpan().IndexOf("\"exitCode\":0"u8);
        Assert.True(at >= 0, "the payload has no exit code 0");
        payload[at + "\"exitCode\":".Length] = (byte)'1';
        return frame with { Payload = Convert.ToBase64String(payload) };
    }

    /// <summary>The agent's side of a signed session: it signs what it sends and verifies what it receives.</summary>
    private sealed class SigningAgent(RouterHarness harness, FakeAgentSession session, AgentFrameSigner signer, AgentFrameVerifier verifier)
    {
        public FakeAgentSession Session { get; } = session;
        public AgentFrameSigner Signer { get; } = signer;

        public FrameVerification Verify(SignedFrame frame) => verifier.Verify(frame);

        public Task<bool> SendAsync(AgentFrame frame) => harness.Gateway.OnFrameAsync(Session, Signer.Sign(frame), CancellationToken.None);

        /// <summary>The next frame the gateway sent, which must be signed for this agent and connection.</summary>
        public async Task<AgentFrame> ReceiveAsync()
        {
            var verification = verifier.Verify(await Session.NextAsync<SignedFrame>());
            return verification.Frame ?? throw new InvalidOperationException($"the gateway sent a frame that fails verification ({verification.Refusal}): {verification.Reason}");
        }
    }
}
