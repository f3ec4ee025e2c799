using System.Diagnostics;

namespace ChatOps.Core.Observability;

/// <summary>
/// The <c>ChatOps</c> <see cref="ActivitySource"/> and the W3C <c>traceparent</c> helpers every hop uses,
/// so one trace runs from the chat request through the bus, the router, the gateway and the agent.
/// Spans exist only when something listens (the hosts register OpenTelemetry for this source).
/// </summary>
public static class ChatOpsTracing
{
    public const string SourceName = "ChatOps";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The W3C traceparent of the current span, or null when there is none.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>
    /// Starts a span continuing <paramref name="traceParent"/> (a W3C traceparent from a message or frame)
    /// when it is valid, else a child of the current span (or a new root). Null when nobody listens.
    /// </summary>
    public static Activity? StartFrom(string name, ActivityKind kind, string? traceParent)
    {
        if (traceParent is { Length: > 0 and <= 128 } && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent))
            return Source.StartActivity(name, kind, parent);
        return Source.StartActivity(name, kind);
    }
}
