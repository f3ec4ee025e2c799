using ChatOps.Core.Agents;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Core.Tests.Agents;

/// <summary>The signing primitives both sides share: keys, the envelope, and the order of checks.</summary>
public sealed class AgentFrameSignatureTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Keys_differ_by_token_server_and_direction_and_are_never_printed()
    {
        var keys = AgentFrameKeys.Derive("agt_token", "web-1");
        var data = "frame"u8.ToArray();

        var macs = new[]
        {
            keys.ToAgent.Compute(data), keys.ToGateway.Compute(data),
            AgentFrameKeys.Derive("agt_other", "web-1").ToAgent.Compute(data), AgentFrameKeys.Derive("agt_token", "web-2").ToAgent.Compute(data),
        };

        Assert.Equal(4, macs.Select(Convert.ToHexString).Distinct().Count());
        Assert.Equal(macs[0], AgentFrameKeys.Derive("agt_token", "web-1").ToAgent.Compute(data));
        Assert.Equal("AgentFrameKeys { ToAgent = AgentFrameKey(hidden), ToGateway = AgentFrameKey(hidden) }", keys.ToString());
    }

    [Fact]
    public void A_signed_frame_verifies_once_and_carries_the_frame_unchanged()
    {
        var keys = AgentFrameKeys.Derive("agt_token", "web-1");
        var frame = new OutputFrame("c-1", 1, "stdout", "quotes \" and \u202E and \uD83D\uDE00\n");
        var signed = new AgentFrameSigner(keys.ToGateway, "web-1", "conn-1", _time).Sign(frame);
        var verifier = new AgentFrameVerifier(keys.ToGateway, "web-1", "conn-1", new ReplayWindow(), _time);

        // Over the wire and back: the receiver checks the bytes it got, not a re-serialisation.
        var received = AgentProtocol.Deserialize(System.Text.Encoding.UTF8.GetBytes(AgentProtocol.Serialize(signed)));

        Assert.Equal(frame, verifier.Verify(received).Frame);
        Assert.Equal(FrameRefusals.Replayed, verifier.Verify(received).Refusal);
    }

    [Fact]
    public void A_frame_is_taken_within_the_clock_skew_after_its_expiry_and_refused_after()
    {
        var keys = AgentFrameKeys.Derive("agt_token", "web-1");
        var signer = new AgentFrameSigner(keys.ToGateway, "web-1", "conn-1", _time);
        var verifier = new AgentFrameVerifier(keys.ToGateway, "web-1", "conn-1", new ReplayWindow(), _time);
        var late = signer.Sign(new HeartbeatFrame(1, _time.GetUtcNow()));
        var tooLate = signer.Sign(new HeartbeatFrame(2, _time.GetUtcNow()));

        _time.Advance(AgentFrameSigning.Lifetime + AgentFrameSigning.ClockSkew);
        Assert.True(verifier.Verify(late).Verified);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(FrameRefusals.Expired, verifier.Verify(tooLate).Refusal);
    }

    [Theory]
    [InlineData("", "AAAA")]
    [InlineData("not base64!", "AAAA")]
    [InlineData("e30=", "not base64!")]
    [InlineData("e30=", "AAAA")]
    public void Garbage_in_the_envelope_is_refused_before_anything_is_parsed(string payload, string sig)
    {
        var keys = AgentFrameKeys.Derive("agt_token", "web-1");
        var verifier = new AgentFrameVerifier(keys.ToGateway, "web-1", "conn-1", new ReplayWindow(), _time);

        var verification = verifier.Verify(new SignedFrame(payload, sig));

        Assert.False(verification.Verified);
        Assert.Contains(verification.Refusal, new[] { FrameRefusals.BadSignature, FrameRefusals.Malformed });
    }

    [Fact]
    public void A_correctly_signed_payload_that_is_not_a_frame_is_refused_as_malformed()
    {
        var keys = AgentFrameKeys.Derive("agt_token", "web-1");
        var verifier = new AgentFrameVerifier(keys.ToGateway, "web-1", "conn-1", new ReplayWindow(), _time);
        var bytes = """{"serverId":"web-1","connectionId":"conn-1","nonce":"AAAAAAAAAAAAAAAAAAAAAA==","expiresAt":"2026-11-27T12:00:30Z","frame":{"type":"shell"}}"""u8.ToArray();

        var verification = verifier.Verify(new SignedFrame(Convert.ToBase64String(bytes), Convert.ToBase64String(keys.ToGateway.Compute(bytes))));

        Assert.Equal(FrameRefusals.Malformed, verification.Refusal);
    }
}
