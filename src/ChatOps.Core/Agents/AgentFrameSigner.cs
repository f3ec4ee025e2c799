using System.Security.Cryptography;

namespace ChatOps.Core.Agents;

/// <summary>Wraps frames for one connection, in one direction, into <see cref="SignedFrame"/>s.</summary>
public sealed class AgentFrameSigner(AgentFrameKey key, string serverId, string connectionId, TimeProvider time)
{
    /// <summary>Signs <paramref name="frame"/> with a fresh nonce, valid for <see cref="AgentFrameSigning.Lifetime"/>.</summary>
    public SignedFrame Sign(AgentFrame frame) =>
        Sign(new SignedFramePayload(serverId, connectionId, NewNonce(), time.GetUtcNow() + AgentFrameSigning.Lifetime, frame));

    /// <summary>Signs a payload as given (tests use it to build frames a correct sender never would).</summary>
    public SignedFrame Sign(SignedFramePayload payload)
    {
        var bytes = AgentProtocol.SerializePayload(payload);
        return new SignedFrame(Convert.ToBase64String(bytes), Convert.ToBase64String(key.Compute(bytes)));
    }

    /// <summary>128 random bits: collisions between honest frames never happen in practice.</summary>
    public static string NewNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
}
