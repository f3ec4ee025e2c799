namespace ChatOps.Core.Agents;

/// <summary>The time rules of signed frames, the same on both sides.</summary>
public static class AgentFrameSigning
{
    /// <summary>How long after signing a frame is valid (its <see cref="SignedFramePayload.ExpiresAt"/>).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How far the two clocks may disagree: a frame is taken until <c>ExpiresAt + ClockSkew</c>, and refused when
    /// its expiry lies further ahead than <c>Lifetime + ClockSkew</c> (a sender must not make a frame live forever).
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>Nonces remembered per receiver; far above what an agent sends in one window (see <see cref="ReplayWindow"/>).</summary>
    public const int ReplayWindowCapacity = 16_384;

    internal const int MaxNonceLength = 64;
    internal const int MinNonceLength = 16;
    internal const int MaxIdLength = 200;
}
