using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using ChatOps.Core.Observability;

namespace ChatOps.Server.Observability;

/// <summary>
/// Records every garbage-collector pause of this process in <see cref="ChatOpsMeter.GcPauses"/>, from the
/// runtime's own GC events (suspension begins → execution restarts). The running total alone cannot tell
/// one 250 ms pause from a hundred short ones, and only the long ones show up as a latency spike.
/// </summary>
/// <remarks>
/// One listener per process, created on first use and never disposed: disposing an EventListener that
/// receives the runtime's events waits for the event-pipe dispatcher, and that wait deadlocked a test run
/// in which several hosts started and stopped. Hosts attach their meter and detach it when they stop.
/// </remarks>
public sealed class GcPauseRecorder : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int SuspendEeBegin = 9;
    private const int RestartEeEnd = 3;

    private static readonly Lazy<GcPauseRecorder> Instance = new(() => new GcPauseRecorder(), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<ChatOpsMeter, byte> Meters = new();

    private DateTime _suspendedAt;

    private GcPauseRecorder()
    {
    }

    /// <summary>Records this process's GC pauses in <paramref name="meter"/> until the returned handle is disposed.</summary>
    public static IDisposable Attach(ChatOpsMeter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _ = Instance.Value;
        Meters[meter] = 0;
        return new Detach(meter);
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource) EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        // One dispatch thread delivers the runtime's events in order, so no lock is needed.
        switch (eventData.EventId)
        {
            case SuspendEeBegin:
                _suspendedAt = eventData.TimeStamp;
                break;
            case RestartEeEnd when _suspendedAt != default:
                var seconds = Math.Max(0, (eventData.TimeStamp - _suspendedAt).TotalSeconds);
                _suspendedAt = default;
                foreach (var meter in Meters.Keys) meter.GcPauses.Record(seconds);
                break;
        }
    }

    private sealed class Detach(ChatOpsMeter meter) : IDisposable
    {
        public void Dispose() => Meters.TryRemove(meter, out _);
    }
}
