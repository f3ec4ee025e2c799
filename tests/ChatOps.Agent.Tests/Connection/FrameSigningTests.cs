using System.Net.WebSockets;
using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using Xunit.Abstractions;

namespace ChatOps.Agent.Tests.Connection;

/// <summary>
/// Reliability-security test 15 at the agent: a dispatch runs only when the gateway signed it for this agent
/// and this connection, fresh and never seen before. Anything else runs nothing, is not answered, and ends
/// the connection; the same command id, correctly signed on the next connection, then runs (so the refused
/// one was not even recorded as seen). Every frame the agent sends after welcome is signed (the test gateway
/// refuses anything else).
/// </summary>
public sealed class FrameSigningTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_correctly_signed_dispatch_runs_and_the_agents_frames_come_back_signed_for_this_connection()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendAsync(harness.Dispatch("cmd-1", "print", "signed"));

        // ReceiveAsync verifies each frame under the agent's key for this connection, and throws on anything unsigned.
        Assert.Equal("cmd-1", (await session.ReceiveUntilAsync<AcceptedFrame>()).CommandId);
        var result = await session.ReceiveUntilAsync<ResultFrame>();
        Assert.Equal(("cmd-1", ResultStatuses.Succeeded), (result.CommandId, result.Status));
    }

    public static TheoryData<string, string> ForgedDispatches() => new()
    {
        { "unsigned", "refused an unsigned dispatch frame" },
        { "flipped signature byte", FrameRefusals.BadSignature },
        { "flipped payload byte", FrameRefusals.BadSignature },
        { "another agent's key", FrameRefusals.BadSignature },
        { "this token's key for another server id", FrameRefusals.BadSignature },
        { "the agent's own direction key", FrameRefusals.BadSignature },
        { "payload naming another server", FrameRefusals.WrongServer },
        { "another connection", FrameRefusals.WrongConnection },
        { "expired", FrameRefusals.Expired },
        { "expiring too far ahead", FrameRefusals.TooFarAhead },
    };

    [Theory]
    [MemberData(nameof(ForgedDispatches))]
    public async Task A_dispatch_that_fails_verification_runs_nothing_and_ends_the_connection(string forgery, string refusal)
    {
        await using var harness = AgentHarness.Start(output);
        var (session, hello) = await harness.Gateway.NextWelcomedSessionAsync();
        var dispatch = harness.Dispatch("cmd-1", "print", "forged");
        var now = DateTimeOffset.UtcNow;
        AgentFrame frame = forgery switch
        {
            "unsigned" => dispatch,
            "flipped signature byte" => FlipSignatureByte(session.Signer!.Sign(dispatch)),
            "flipped payload byte" => FlipPayloadByte(session.Signer!.Sign(dispatch)),
            "another agent's key" => Signer(AgentFrameKeys.Derive("another-agents-token", "web-4").ToAgent, session).Sign(dispatch),
            "this token's key for another server id" => Signer(AgentFrameKeys.Derive(AgentHarness.Token, "web-4").ToAgent, session).Sign(dispatch),
            "the agent's own direction key" => Signer(AgentFrameKeys.Derive(AgentHarness.Token, hello.ServerId).ToGateway, session).Sign(dispatch),
            "payload naming another server" => session.Signer!.Sign(new SignedFramePayload("web-4", session.ConnectionId!, AgentFrameSigner.NewNonce(), now.AddSeconds(30), dispatch)),
            "another connection" => session.Signer!.Sign(new SignedFramePayload(hello.ServerId, "conn-0", AgentFrameSigner.NewNonce(), now.AddSeconds(30), dispatch)),
            "expired" => session.Signer!.Sign(new SignedFramePayload(hello.ServerId, session.ConnectionId!, AgentFrameSigner.NewNonce(), now - AgentFrameSigning.ClockSkew - TimeSpan.FromSeconds(5), dispatch)),
            _ => session.Signer!.Sign(new SignedFramePayload(hello.ServerId, session.ConnectionId!, AgentFrameSigner.NewNonce(), now.AddDays(1), dispatch)),
        };

        await session.SendUnsignedAsync(frame);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await session.ReceiveCloseAsync());
        Assert.Contains(harness.Logs.Lines, l => l.StartsWith("Error: protocol error from server", StringComparison.Ordinal) && l.Contains(refusal, StringComparison.Ordinal));
        await AssertNeverRanAsync(harness, dispatch);
    }

    [Fact]
    public async Task A_replayed_dispatch_with_the_same_nonce_runs_once()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();
        // A fresh command id, so it is the nonce (not the command id dedupe) that stops the replay.
        var signed = session.Signer!.Sign(harness.Dispatch("cmd-1", "print", "once"));
        await session.SendUnsignedAsync(signed);
        await session.ReceiveUntilAsync<ResultFrame>();

        await session.SendUnsignedAsync(signed with { });

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await session.ReceiveCloseAsync());
        Assert.Contains(harness.Logs.Lines, l => l.Contains($"({FrameRefusals.Replayed})", StringComparison.Ordinal));
        Assert.Single(harness.Logs.Lines, l => l.Contains("accepted command cmd-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signed_dispatch_replayed_on_the_next_connection_runs_nothing()
    {
        await using var harness = AgentHarness.Start(output);
        var (first, _) = await harness.Gateway.NextWelcomedSessionAsync();
        var signed = first.Signer!.Sign(harness.Dispatch("cmd-1", "print", "captured"));
        first.Drop();
        var (second, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await second.SendUnsignedAsync(signed);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await second.ReceiveCloseAsync());
        Assert.Contains(harness.Logs.Lines, l => l.Contains($"({FrameRefusals.WrongConnection})", StringComparison.Ordinal));
        await AssertNeverRanAsync(harness, harness.Dispatch("cmd-1", "print", "captured"));
    }

    [Fact]
    public async Task An_unsigned_cancel_is_refused()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendUnsignedAsync(new CancelFrame("cmd-1"));

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await session.ReceiveCloseAsync());
        Assert.Contains(harness.Logs.Lines, l => l.Contains("refused an unsigned cancel frame", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unsigned_error_frame_is_only_logged_and_the_connection_stays()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendUnsignedAsync(new ErrorFrame("something on the server"));
        await session.SendAsync(harness.Dispatch("cmd-1", "print", "still here"));

        Assert.Equal("cmd-1", (await session.ReceiveUntilAsync<ResultFrame>()).CommandId);
        Assert.Contains(harness.Logs.Lines, l => l.Contains("server reported an error: something on the server", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_welcome_without_a_connection_id_is_refused_as_a_gateway_that_cannot_sign()
    {
        await using var harness = AgentHarness.Start(output);
        var session = await harness.Gateway.NextSessionAsync();
        await session.ReceiveAsync();

        await session.SendAsync(new WelcomeFrame(AgentHarness.ServerId, "node-1", AgentProtocol.Version, 15, 30));

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await session.ReceiveCloseAsync());
        Assert.Contains(harness.Logs.Lines, l => l.Contains("names no usable connection id", StringComparison.Ordinal));
    }

    /// <summary>
    /// Nothing ran: no "accepted" in the log, and the same command id, correctly signed on the agent's next
    /// connection, is accepted (a dispatch that had been admitted would now be refused as a duplicate).
    /// </summary>
    private static async Task AssertNeverRanAsync(AgentHarness harness, DispatchFrame dispatch)
    {
        Assert.DoesNotContain(harness.Logs.Lines, l => l.Contains("accepted command", StringComparison.Ordinal));
        var (next, _) = await harness.Gateway.NextWelcomedSessionAsync();
        await next.SendAsync(dispatch);
        Assert.Equal(dispatch.CommandId, (await next.ReceiveUntilAsync<AcceptedFrame>()).CommandId);
    }

    private static AgentFrameSigner Signer(AgentFrameKey key, GatewaySession session) =>
        new(key, AgentHarness.ServerId, session.ConnectionId!, TimeProvider.System);

    private static SignedFrame FlipSignatureByte(SignedFrame frame)
    {
        var sig = Convert.FromBase64String(frame.Sig);
        sig[0] ^= 0x80;
        return frame with { Sig = Convert.ToBase64String(sig) };
    }

    private static SignedFrame FlipPayloadByte(SignedFrame frame)
    {
        // The fencing token 1 becomes 9: still a valid dispatch, just not the one that was signed.
        var payload = Convert.FromBase64String(frame.Payload);
        var at = payload.AsSpan().IndexOf("\"fencingToken\":1"u8);
        Assert.True(at >= 0, "the payload has no fencing token 1");
        payload[at + "\"fencingToken\":".Length] = (byte)'9';
        return frame with { Payload = Convert.ToBase64String(payload) };
    }
}
