namespace ChatOps.Core.Agents;

/// <summary>
/// What a <see cref="SignedFrame"/> signs: the frame itself, bound to one agent (<see cref="ServerId"/>) and
/// one connection (<see cref="ConnectionId"/>), with a fresh random <see cref="Nonce"/> (replays are refused)
/// and an <see cref="ExpiresAt"/> on the sender's clock (stale frames are refused).
/// </summary>
public sealed record SignedFramePayload(string ServerId, string ConnectionId, string Nonce, DateTimeOffset ExpiresAt, AgentFrame Frame);
