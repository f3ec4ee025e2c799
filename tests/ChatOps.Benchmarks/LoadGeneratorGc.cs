using System.Globalization;
using ChatOps.Core.Observability;

namespace ChatOps.Benchmarks;

/// <summary>
/// The benchmark process's own GC pauses (it is the load generator, the bare endpoint and the fake
/// Slack at once): a pause here delays requests and answers and shows up as server latency, so each
/// latency scenario prints them beside the server's. One listener for the process, never disposed
/// (see <see cref="GcPauseListener"/>).
/// </summary>
public sealed class LoadGeneratorGc : GcPauseListener
{
    private static readonly Lazy<LoadGeneratorGc> Instance = new(() => new LoadGeneratorGc(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lock _lock = new();
    private readonly List<double> _pausesMs = [];

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

    protected override void OnPause(double seconds)
    {
        lock (_lock) _pausesMs.Add(seconds * 1000);
    }
}
