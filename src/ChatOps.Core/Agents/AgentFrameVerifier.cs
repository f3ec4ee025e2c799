using System.Buffers;
using System.Text.Json;

namespace ChatOps.Core.Agents;

/// <summary>
/// Checks frames received on one connection, in one direction: the MAC first (over the exact bytes received,
/// in constant time), then the parsed payload's agent, connection, expiry and nonce. Only a frame that passes
/// every check comes out; nothing about a refused frame is acted on (its command id is not trusted either).
/// </summary>
public sealed class AgentFrameVerifier(AgentFrameKey key, string serverId, string connectionId, ReplayWindow replays, TimeProvider time)
{
    public FrameVerification Verify(AgentFrame received)
    {
        if (received is not SignedFrame signed)
            return FrameVerification.Refuse(FrameRefusals.Unsigned, $"a {AgentFrameNames.Of(received)} frame must be signed");

        // The frame as a whole is at most AgentProtocol.MaxFrameBytes, so these buffers are bounded by it too.
        var payloadBuffer = ArrayPool<byte>.Shared.Rent(signed.Payload.Length);
        try
        {
            Span<byte> mac = stackalloc byte[AgentFrameKey.MacBytes + 3];
            if (!Convert.TryFromBase64String(signed.Sig, mac, out var macLength) || macLength != AgentFrameKey.MacBytes)
                return FrameVerification.Refuse(FrameRefusals.BadSignature, "the signature is not a base64 HMAC-SHA256");
            if (!Convert.TryFromBase64String(signed.Payload, payloadBuffer, out var payloadLength))
                return FrameVerification.Refuse(FrameRefusals.Malformed, "the payload is not base64");

            var bytes = payloadBuffer.AsSpan(0, payloadLength);
            if (!key.Verify(bytes, mac[..macLength]))
                return FrameVerification.Refuse(FrameRefusals.BadSignature, "the signature does not match this agent's key");

            SignedFramePayload payload;
            try
            {
                payload = AgentProtocol.DeserializePayload(bytes);
            }
            catch (JsonException ex)
            {
                // Correctly signed yet unreadable: a bug on the other side, not something to guess past.
                return FrameVerification.Refuse(FrameRefusals.Malformed, "the signed payload is unreadable: " + ex.Message);
            }

            return Check(payload);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payloadBuffer);
        }
    }

    private FrameVerification Check(SignedFramePayload payload)
    {
        if (!string.Equals(payload.ServerId, serverId, StringComparison.Ordinal))
            return FrameVerification.Refuse(FrameRefusals.WrongServer, $"signed for server '{Shorten(payload.ServerId)}', not '{serverId}'");
        if (!string.Equals(payload.ConnectionId, connectionId, StringComparison.Ordinal))
            return FrameVerification.Refuse(FrameRefusals.WrongConnection, "signed for another connection");
        if (payload.Frame is SignedFrame)
            return FrameVerification.Refuse(FrameRefusals.Malformed, "a signed frame inside a signed frame");
        if (payload.Nonce.Length is < AgentFrameSigning.MinNonceLength or > AgentFrameSigning.MaxNonceLength)
            return FrameVerification.Refuse(FrameRefusals.Malformed, $"the nonce must be {AgentFrameSigning.MinNonceLength} to {AgentFrameSigning.MaxNonceLength} characters");

        var now = time.GetUtcNow();
        if (payload.ExpiresAt + AgentFrameSigning.ClockSkew < now)
            return FrameVerification.Refuse(FrameRefusals.Expired, $"expired at {payload.ExpiresAt:O}");
        if (payload.ExpiresAt > now + AgentFrameSigning.Lifetime + AgentFrameSigning.ClockSkew)
            return FrameVerification.Refuse(FrameRefusals.TooFarAhead, $"expires at {payload.ExpiresAt:O}, further ahead than a frame may live");

        return replays.TryTake(payload.Nonce, payload.ExpiresAt + AgentFrameSigning.ClockSkew, now) switch
        {
            ReplayCheck.Fresh => FrameVerification.Take(payload.Frame),
            ReplayCheck.Replayed => FrameVerification.Refuse(FrameRefusals.Replayed, "this nonce was used before"),
            _ => FrameVerification.Refuse(FrameRefusals.Replayed, "too many frames in the replay window to rule out a replay"),
        };
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;
}

/// <summary>A verified frame, or why the received one was refused (one of <see cref="FrameRefusals"/>).</summary>
public readonly record struct FrameVerification(AgentFrame? Frame, string? Refusal, string? Reason)
{
    public bool Verified => Frame is not null;

    public static FrameVerification Take(AgentFrame frame) => new(frame, null, null);

    public static FrameVerification Refuse(string refusal, string reason) => new(null, refusal, reason);
}
