using System.Text.Json.Serialization;
using ChatOps.Core.Domain;
using ChatOps.Core.Observability;

namespace ChatOps.Core.Agents;

/// <summary>
/// What routers send to the gateway node holding an agent, over the pub/sub channel
/// <see cref="GatewayChannels.ForNode"/>. A node answers through the bus (commands-topic), never directly.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(GatewayDispatch), "dispatch")]
[JsonDerivedType(typeof(GatewayCancel), "cancel")]
public abstract record GatewayMessage(string CommandId, string ServerId);

public sealed record GatewayDispatch(
    string CommandId,
    string ServerId,
    string ConnectionId,
    string Action,
    IReadOnlyDictionary<string, string> Args,
    IReadOnlyList<string> Positional,
    long FencingToken,
    long TimeoutMs,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    ChatRef ReplyTo) : GatewayMessage(CommandId, ServerId)
{
    /// <summary>
    /// W3C traceparent of the command's trace: the router's span that handled its request (remembered in
    /// that process), else the current span when the dispatch is built, so the router need not pass it.
    /// A message read from JSON carries the sender's value.
    /// </summary>
    public string? TraceParent { get; init; } = CommandTraceContexts.For(CommandId, ServerId) ?? ChatOpsTracing.CurrentTraceParent();
}

public sealed record GatewayCancel(string CommandId, string ServerId) : GatewayMessage(CommandId, ServerId);

public static class GatewayChannels
{
    /// <summary>The pub/sub channel a gateway node listens on for dispatches to its agents.</summary>
    public static string ForNode(string nodeId) => "agent:dispatch:" + nodeId;
}
