using System.Diagnostics.Tracing;
using ChatOps.Core.Observability;

namespace ChatOps.Server.Observability;

/// <summary>
/// Records every garbage-collector pause of this process in <see cref="ChatOpsMeter.GcPauses"/>, from the
/// runtime's own GC events (suspension begins → execution restarts). The running total alone cannot tell
/// one 250 ms pause from a hundred short ones, and only the long ones show up as a latency spike.
/// </summary>
public sealed class GcPauseRecorder : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int SuspendEeBegin = 9;
    private const int RestartEeEnd = 3;

    // Set after the base constructor, which may already enable the runtime's source; events come later.
    private readonly ChatOpsMeter? _meter;
    private DateTime _suspendedAt;

    public GcPauseRecorder(ChatOpsMeter meter) => _meter = meter;

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
            case RestartEeEnd when _suspendedAt != default && _meter is not null:
                _meter.GcPauses.Record(Math.Max(0, (eventData.TimeStamp - _suspendedAt).TotalSeconds));
                _suspendedAt = default;
                break;
        }
    }
}
