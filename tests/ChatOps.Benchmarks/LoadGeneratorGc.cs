using System.Diagnostics.Tracing;
using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>
/// The benchmark process's own GC pauses (it is the load generator, the bare endpoint and the fake
/// Slack at once): a pause here delays requests and answers and shows up as server latency, so each
/// latency scenario prints them beside the server's. Read from the runtime's GC events (suspension
/// begins → execution restarts); one listener for the process, never disposed (see the server's
/// GcPauseRecorder for why).
/// </summary>
public sealed class LoadGeneratorGc : EventListener
{
    private const int SuspendEeBegin = 9;
    private const int RestartEeEnd = 3;

    private static readonly Lazy<LoadGeneratorGc> Instance = new(() => new LoadGeneratorGc(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lock _lock = new();
    private readonly List<double> _pausesMs = [];
    private DateTime _suspendedAt;

    private LoadGeneratorGc()
    {
    }

    /// <summary>Starts listening (idempotent); returns a mark to report from.</summary>
    public static int Mark()
    {
        var listener = Instance.Value;
        lock (listener._lock) return listener._pausesMs.Count;
    }

    /// <summary>"load generator GC …": count, total and long pauses since <paramref name="mark"/>.</summary>
    public static string Since(int mark)
    {
        var listener = Instance.Value;
        List<double> pauses;
        lock (listener._lock) pauses = listener._pausesMs.Skip(mark).ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"load generator GC during the measured runs ({(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC): {pauses.Sum():0} ms paused in {pauses.Count} pauses; over 10 / 50 / 250 ms: {pauses.Count(p => p > 10)} / {pauses.Count(p => p > 50)} / {pauses.Count(p => p > 250)}; longest {(pauses.Count == 0 ? 0 : pauses.Max()):0.0} ms");
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        switch (eventData.EventId)
        {
            case SuspendEeBegin:
                _suspendedAt = eventData.TimeStamp;
                break;
            case RestartEeEnd when _suspendedAt != default:
                var ms = Math.Max(0, (eventData.TimeStamp - _suspendedAt).TotalMilliseconds);
                _suspendedAt = default;
                lock (_lock) _pausesMs.Add(ms);
                break;
        }
    }
}
