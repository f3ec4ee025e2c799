using System.Diagnostics;
using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>Collected latencies of one measurement, with the figures we print.</summary>
public sealed class Latencies(string name)
{
    private readonly List<double> _ms = [];
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
            if (_ms.Count == 0) return double.NaN;
            var sorted = _ms.Order().ToList();
            return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
        }
    }

    public double PerSecond => Count / Math.Max(_wall.Elapsed.TotalSeconds, 1e-9);

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"{Name,-44} n={Count,6}  p50={Percentile(50),8:0.00} ms  p99={Percentile(99),8:0.00} ms  max={Percentile(100),8:0.00} ms  {PerSecond,9:0} /s");

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
    /// Open loop: starts call i at <c>start + i / rate</c> whether or not earlier calls have finished,
    /// and times each call from when it was due, not from when it actually left. A closed loop
    /// (<see cref="RunAsync"/>) at saturation measures only concurrency / throughput, and a slow call
    /// there also delays the calls behind it, hiding them ("coordinated omission"); a fixed arrival
    /// rate is how a latency objective is stated. With <paramref name="burst"/> above one, the calls
    /// arrive that many at the same instant (the same average rate): concurrent requests by
    /// construction, each timed from the burst's due time, so the last of a burst counts its wait
    /// behind the others.
    /// </summary>
    public async Task RunAtRateAsync(int total, double perSecond, Func<int, Task> work, int burst = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        var calls = new List<Task>(total);
        var started = Stopwatch.GetTimestamp();
        Start();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / burst * burst / perSecond);
            var ahead = due - Stopwatch.GetElapsedTime(started);
            // Pacing the client, not synchronising anything: the figure is taken from the due time.
            if (ahead > TimeSpan.FromMilliseconds(1)) await Task.Delay(ahead);
            calls.Add(TimedAsync(i, started, due, work));
        }

        await Task.WhenAll(calls);
        Stop();
    }

    private async Task TimedAsync(int i, long started, TimeSpan due, Func<int, Task> work)
    {
        await Task.Yield();
        await work(i);
        Add(Stopwatch.GetElapsedTime(started) - due);
    }
}

public static class Report
{
    public static void Ratio(string what, double value, double baseline) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {what}: {value / baseline:0.00}x the baseline"));
}
