using System.Collections.Concurrent;

namespace ChatOps.Core.Observability;

/// <summary>
/// The trace each requested command belongs to, remembered in the router's process when it handles the
/// request, so a dispatch keeps the command's trace even when it is started from elsewhere (the sweeper
/// that starts queued commands, the completion of the previous command). Bounded: the oldest entries go.
/// </summary>
internal static class CommandTraceContexts
{
    private const int Capacity = 10_000;
    private static readonly ConcurrentDictionary<string, string> Traces = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> Order = new();

    public static void Remember(string requestId, string traceParent)
    {
        if (!Traces.TryAdd(requestId, traceParent)) return;
        Order.Enqueue(requestId);
        while (Order.Count > Capacity && Order.TryDequeue(out var oldest)) Traces.TryRemove(oldest, out _);
    }

    /// <summary>The trace of a command: its id is its request's id, or <c>{requestId}-{serverId}</c> in a fan-out.</summary>
    public static string? For(string commandId, string serverId)
    {
        if (Traces.TryGetValue(commandId, out var trace)) return trace;
        var suffix = "-" + serverId;
        return commandId.EndsWith(suffix, StringComparison.Ordinal) && Traces.TryGetValue(commandId[..^suffix.Length], out trace) ? trace : null;
    }
}
