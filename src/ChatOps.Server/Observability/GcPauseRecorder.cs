using System.Collections.Concurrent;
using ChatOps.Core.Observability;

namespace ChatOps.Server.Observability;

/// <summary>
/// Records every garbage-collector pause of this process in <see cref="ChatOpsMeter.GcPauses"/>
/// (<see cref="GcPauseListener"/> finds them in the runtime's events).
/// </summary>
/// <remarks>
/// One listener per process, created on first use and never disposed (see <see cref="GcPauseListener"/>);
/// hosts attach their meter and detach it when they stop.
/// </remarks>
public sealed class GcPauseRecorder : GcPauseListener
{
    private static readonly Lazy<GcPauseRecorder> Instance = new(() => new GcPauseRecorder(), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<ChatOpsMeter, byte> Meters = new();

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

    protected override void OnPause(double seconds)
    {
        foreach (var meter in Meters.Keys) meter.GcPauses.Record(seconds);
    }

    private sealed class Detach(ChatOpsMeter meter) : IDisposable
    {
        public void Dispose() => Meters.TryRemove(meter, out _);
    }
}
