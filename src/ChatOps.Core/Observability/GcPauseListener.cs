using System.Diagnostics.Tracing;

namespace ChatOps.Core.Observability;

/// <summary>
/// Turns the runtime's GC events into pauses: from suspension begins to execution restarts, the time the
/// process did nothing but collect. The running total alone cannot tell one 250 ms pause from a hundred
/// short ones, and only the long ones show up as a latency spike.
/// </summary>
/// <remarks>
/// Create one per process and never dispose it: disposing an EventListener that receives the runtime's
/// events waits for the event-pipe dispatcher, and that wait deadlocked a test run in which several hosts
/// started and stopped.
/// </remarks>
public abstract class GcPauseListener : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int SuspendEeBegin = 9;
    private const int RestartEeEnd = 3;

    private DateTime _suspendedAt;

    /// <summary>One pause of <paramref name="seconds"/>; called on the runtime's event dispatch thread, in order.</summary>
    protected abstract void OnPause(double seconds);

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
                OnPause(seconds);
                break;
        }
    }
}
