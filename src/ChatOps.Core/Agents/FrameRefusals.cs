namespace ChatOps.Core.Agents;

/// <summary>Why a received frame failed verification (<see cref="FrameVerification.Refusal"/>; also the audit detail's first word).</summary>
public static class FrameRefusals
{
    public const string Unsigned = "unsigned";
    public const string BadSignature = "bad_signature";
    public const string Malformed = "malformed";
    public const string WrongServer = "wrong_server";
    public const string WrongConnection = "wrong_connection";
    public const string Expired = "expired";
    public const string TooFarAhead = "too_far_ahead";
    public const string Replayed = "replayed";
}
