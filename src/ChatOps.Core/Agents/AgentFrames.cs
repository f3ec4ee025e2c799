using System.Text.Json;
using System.Text.Json.Serialization;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;

namespace ChatOps.Core.Agents;

/// <summary>
/// The agent protocol: JSON text frames over the WebSocket at <c>/agents/connect</c>, each with a
/// <c>type</c>. The lists below are exhaustive: any other type is refused and the connection closed.
/// Agent → server: hello, heartbeat, metrics, accepted, rejected, output, result.
/// Server → agent: welcome, dispatch, cancel, error.
/// Both ways: signed, the envelope every frame after the handshake travels in (see <see cref="SignedFrame"/>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(HelloFrame), "hello")]
[JsonDerivedType(typeof(HeartbeatFrame), "heartbeat")]
[JsonDerivedType(typeof(MetricsFrame), "metrics")]
[JsonDerivedType(typeof(AcceptedFrame), "accepted")]
[JsonDerivedType(typeof(RejectedFrame), "rejected")]
[JsonDerivedType(typeof(OutputFrame), "output")]
[JsonDerivedType(typeof(ResultFrame), "result")]
[JsonDerivedType(typeof(WelcomeFrame), "welcome")]
[JsonDerivedType(typeof(DispatchFrame), "dispatch")]
[JsonDerivedType(typeof(CancelFrame), "cancel")]
[JsonDerivedType(typeof(ErrorFrame), "error")]
[JsonDerivedType(typeof(SignedFrame), "signed")]
public abstract record AgentFrame;

/// <summary>First frame from the agent. <see cref="ServerId"/> must equal the server its token is bound to.</summary>
public sealed record HelloFrame(string ServerId, int ProtocolVersion, string AgentVersion, string Hostname, IReadOnlyList<string> Actions) : AgentFrame;

public sealed record HeartbeatFrame(long Seq, DateTimeOffset At) : AgentFrame;

public sealed record MetricsFrame(DateTimeOffset At, IReadOnlyList<MetricSample> Samples) : AgentFrame;

/// <summary>The agent checked a dispatch against its allowlist, fencing and dedupe, and started it.</summary>
public sealed record AcceptedFrame(string CommandId) : AgentFrame;

/// <summary>The agent refused a dispatch. <see cref="Reason"/> is one of <see cref="RejectReasons"/>.</summary>
public sealed record RejectedFrame(string CommandId, string Reason, string Message) : AgentFrame;

/// <summary>A chunk of output. <see cref="Seq"/> counts from 1 per command.</summary>
public sealed record OutputFrame(string CommandId, long Seq, string Stream, string Text) : AgentFrame;

/// <summary>The end of a command. <see cref="Status"/> is one of <see cref="ResultStatuses"/>.</summary>
public sealed record ResultFrame(string CommandId, string Status, int? ExitCode, long DurationMs, bool Truncated, long OutputBytes) : AgentFrame
{
    /// <summary>W3C traceparent of the agent's span that ran the command (optional; older agents omit it).</summary>
    public string? TraceParent { get; init; }
}

public sealed record WelcomeFrame(string ServerId, string NodeId, int ProtocolVersion, int HeartbeatSeconds, int MetricsSeconds) : AgentFrame
{
    /// <summary>
    /// The gateway's id for this connection (fresh and random per connection). Every signed frame names it,
    /// so a frame signed for one connection is refused on any other. Required since protocol 2.
    /// </summary>
    public string? ConnectionId { get; init; }
}

/// <summary>
/// Run <see cref="Action"/> with <see cref="Args"/> (named) and <see cref="Positional"/> (in order).
/// The agent refuses it when the action is not in its own allowlist, the arguments fail the action's
/// schema, <see cref="FencingToken"/> is smaller than one it has seen, <see cref="CommandId"/> ran
/// before, or <see cref="ExpiresAt"/> has passed.
/// </summary>
public sealed record DispatchFrame(
    string CommandId,
    string Action,
    IReadOnlyDictionary<string, string> Args,
    IReadOnlyList<string> Positional,
    long FencingToken,
    long TimeoutMs,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt) : AgentFrame
{
    /// <summary>W3C traceparent of the gateway's dispatch span, so the agent's spans join the command's trace (optional).</summary>
    public string? TraceParent { get; init; }
}

public sealed record CancelFrame(string CommandId) : AgentFrame;

/// <summary>Only logged by the receiver, so it may come unsigned (it is sent when a connection is refused, before any key is in use).</summary>
public sealed record ErrorFrame(string Message) : AgentFrame;

/// <summary>
/// A frame with per-message authenticity. <see cref="Payload"/> is base64 of the UTF-8 JSON of a
/// <see cref="SignedFramePayload"/>; <see cref="Sig"/> is base64 of HMAC-SHA256 over exactly those decoded
/// bytes, under the sender's direction key (<see cref="AgentFrameKeys"/>). The receiver checks the MAC over
/// the bytes it received and parses those same bytes, so no canonical JSON form is ever needed.
/// After the handshake the agent sends only signed frames, and dispatch and cancel reach it only signed.
/// </summary>
public sealed record SignedFrame(string Payload, string Sig) : AgentFrame;

public static class RejectReasons
{
    public const string NotAllowed = "not_allowed";
    public const string BadArguments = "bad_arguments";
    public const string StaleFencingToken = "stale_fencing_token";
    public const string Duplicate = "duplicate";
    public const string Expired = "expired";
    public const string Busy = "busy";
}

public static class ResultStatuses
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string TimedOut = "timed_out";
    public const string Cancelled = "cancelled";
}

/// <summary>Serialises frames with the shared JSON limits (depth 64, no duplicate keys).</summary>
public static class AgentProtocol
{
    /// <summary>
    /// 2: frames after the handshake are signed (<see cref="SignedFrame"/>). An agent or gateway speaking 1
    /// is refused at hello/welcome, so nobody can be talked down to unsigned frames.
    /// </summary>
    public const int Version = 2;

    /// <summary>The largest frame either side accepts; bigger ones close the connection.</summary>
    public const int MaxFrameBytes = 256 * 1024;

    // Missing or null fields are refused by the parser (not found later as a NullReferenceException
    // deep in the gateway or agent): frames come from the other side of a trust boundary.
    private static readonly JsonSerializerOptions Options = new(ChatOpsJson.Options)
    {
        AllowOutOfOrderMetadataProperties = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static string Serialize(AgentFrame frame) => JsonSerializer.Serialize(frame, Options);

    /// <summary>The bytes a <see cref="SignedFrame"/> carries and signs.</summary>
    public static byte[] SerializePayload(SignedFramePayload payload) => JsonSerializer.SerializeToUtf8Bytes(payload, Options);

    /// <summary>Parses the bytes of a <see cref="SignedFrame"/>; throws <see cref="JsonException"/> when they are not a payload.</summary>
    public static SignedFramePayload DeserializePayload(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize<SignedFramePayload>(utf8, Options) ?? throw new JsonException("empty payload");
        }
        catch (NotSupportedException ex)
        {
            throw new JsonException("the signed frame needs a \"type\" that names a frame of the protocol", ex);
        }
    }

    /// <summary>Parses a frame; throws <see cref="JsonException"/> for unknown types or malformed JSON.</summary>
    public static AgentFrame Deserialize(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize<AgentFrame>(utf8, Options) ?? throw new JsonException("empty frame");
        }
        catch (NotSupportedException ex)
        {
            // No "type" (or one placed where it cannot be read): the serializer cannot pick a frame.
            throw new JsonException("a frame needs a \"type\" that names a frame of the protocol", ex);
        }
    }
}
