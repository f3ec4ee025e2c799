using System.Diagnostics;
using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>Collected latencies of one measurement, with the figures we print.</summary>
public sealed class Latencies(string name)
{
    private readonly List<double> _ms = [];
    private readonly List<double> _lateness = [];
    private readonly Stopwatch _wall = new();

    public string Name { get; } = name;
    public int Count => _ms.Count;

    public void Start() => _wall.Start();

    public void Stop() => _wall.Stop();

    public void Add(TimeSpan elapsed)
    {
        lock (_ms) _ms.Add(elapsed.TotalMilliseconds);
    }

    public double Percentile(double p)
    {
        lock (_ms)
        {
            return Nearest(_ms.Order().ToList(), p);
        }
    }

    public double PerSecond => Count / Math.Max(_wall.Elapsed.TotalSeconds, 1e-9);

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"{Name,-44} n={Count,6}  p50={Percentile(50),8:0.00} ms  p99={Percentile(99),8:0.00} ms  max={Percentile(100),8:0.00} ms  {PerSecond,9:0} /s") + Lateness();

    /// <summary>Runs <paramref name="work"/> <paramref name="total"/> times on <paramref name="concurrency"/> workers, timing each call.</summary>
    public async Task RunAsync(int total, int concurrency, Func<int, Task> work)
    {
        var next = -1;
        Start();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var started = Stopwatch.GetTimestamp();
                await work(i);
                Add(Stopwatch.GetElapsedTime(started));
            }
        }));
        Stop();
    }

    /// <summary>
    /// Open loop: starts call i at <c>start + due[i]</c> whether or not earlier calls have finished, and
    /// times each call from when it was due, not from when it actually left. A closed loop
    /// (<see cref="RunAsync"/>) at saturation measures only concurrency / throughput, and a slow call
    /// there also delays the calls behind it, hiding them ("coordinated omission"); a fixed arrival
    /// rate is how a latency objective is stated. Calls due at the same instant (<see cref="Arrivals.Bursts"/>)
    /// leave together, each timed from that instant, so the last of them counts its wait behind the
    /// others. How late the generator itself left is printed beside the figures (<see cref="Lateness"/>).
    /// </summary>
    public async Task RunAtRateAsync(Arrivals arrivals, Func<int, Task> work)
    {
        var dues = arrivals.Dues;
        var calls = new List<Task>(dues.Count);
        var started = Stopwatch.GetTimestamp();
        Start();
        // The arrivals leave from a thread of their own that sleeps to each due time (Pacer): a late
        // wake-up would count as latency of whatever is measured. Its end is awaited, not joined, so no
        // pool thread sits blocked for the whole run.
        var departed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pacing = new Thread(() =>
        {
            try
            {
                for (var i = 0; i < dues.Count; i++)
                {
                    var dueAt = started + (long)(dues[i].TotalSeconds * Stopwatch.Frequency);
                    if (i == 0 || dues[i] != dues[i - 1])
                    {
                        Pacer.SleepUntil(dueAt);
                        _lateness.Add(Stopwatch.GetElapsedTime(dueAt).TotalMilliseconds);
                    }

                    calls.Add(TimedAsync(i, started, dues[i], work));
                }

                departed.SetResult();
            }
            catch (Exception ex)
            {
                departed.SetException(ex);
            }
        }) { IsBackground = true, Name = "open-loop pacer" };
        pacing.Start();
        await departed.Task;
        await Task.WhenAll(calls);
        Stop();
    }

    /// <summary>How late the open loop's arrivals left (p50 / p99 / max), said beside its figures.</summary>
    public string Lateness()
    {
        if (_lateness.Count == 0) return "";
        var sorted = _lateness.Order().ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"  (arrivals left late by p50 {Nearest(sorted, 50):0.00} / p99 {Nearest(sorted, 99):0.00} / max {Nearest(sorted, 100):0.00} ms)");
    }

    // Nearest-rank percentile of sorted values (NaN when there are none).
    private static double Nearest(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    // Starts the call on the pacing thread (up to its first real wait): a thread-pool hop here would
    // let a busy pool delay the departure, which is the generator's lateness, not the server's.
    private async Task TimedAsync(int i, long started, TimeSpan due, Func<int, Task> work)
    {
        await work(i);
        Add(Stopwatch.GetElapsedTime(started) - due);
    }
}

public static class Report
{
    public static void Ratio(string what, double value, double baseline) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {what}: {value / baseline:0.00}x the baseline"));
}
