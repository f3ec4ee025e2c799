using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>
/// The latency half of an ack scenario: requests arrive at fixed rates (open loop), the bare endpoint
/// and the real one each at the same rate, so p99 says how long a request waits for its answer when
/// others are in flight, rather than how deep a saturated queue is (what the closed loop at c=16 shows).
/// Each rate runs twice: evenly spaced, and in bursts of the scenario's concurrency arriving at the
/// same instant (16 people typing at once, again and again, at the same average rate).
/// </summary>
public sealed class OpenLoop
{
    private readonly List<(string Label, Latencies Bare, Latencies Real)> _runs = [];

    public static async Task<OpenLoop> RunAsync(BenchArgs args, string what, Func<int, Task> bare, Func<int, Task> real, int firstIndex = 0)
    {
        var result = new OpenLoop();
        var offset = firstIndex;
        foreach (var rate in args.Rates)
        {
            foreach (var burst in new[] { 1, args.Concurrency })
            {
                // At least ten seconds of arrivals, so a p99 rests on a few dozen slow calls, not one.
                var total = Math.Max(args.Requests, (int)(rate * 10));
                var label = burst == 1
                    ? string.Create(CultureInfo.InvariantCulture, $"{rate:0}/s open loop")
                    : string.Create(CultureInfo.InvariantCulture, $"{rate:0}/s open loop, {burst} at once");
                var bareRun = new Latencies($"bare ASP.NET Core POST ({label})");
                await bareRun.RunAtRateAsync(total, rate, bare, burst);
                var realRun = new Latencies($"{what} ({label})");
                var first = offset;
                await realRun.RunAtRateAsync(total, rate, i => real(first + i), burst);
                offset += total;
                result._runs.Add((label, bareRun, realRun));
            }
        }

        return result;
    }

    public void Print()
    {
        foreach (var (label, bare, real) in _runs)
        {
            Console.WriteLine(bare.Line());
            Console.WriteLine(real.Line());
            Report.Ratio($"p99 at {label}", real.Percentile(99), bare.Percentile(99));
        }
    }
}
