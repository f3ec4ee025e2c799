using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>
/// The latency half of an ack scenario: requests arrive at fixed rates (open loop), the bare endpoint
/// and the real one each at the same rate, so p99 says how long a request waits for its answer when
/// others are in flight, rather than how deep a saturated queue is (what the closed loop at c=16 shows).
/// Each rate runs three times (<see cref="Arrivals"/>): evenly spaced; at random (a Poisson process:
/// independent people typing, so requests overlap by chance); and in bursts of the scenario's
/// concurrency arriving at the same instant (16 people pressing enter together, again and again).
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
            // At least ten seconds of arrivals, so a p99 rests on a few dozen slow calls, not one.
            var total = Math.Max(args.Requests, (int)(rate * 10));
            foreach (var arrivals in new[] { Arrivals.Even(total, rate), Arrivals.Random(total, rate), Arrivals.Bursts(total, rate, args.Concurrency) })
            {
                var bareRun = new Latencies($"bare ASP.NET Core POST ({arrivals.Label})");
                await bareRun.RunAtRateAsync(arrivals, bare);
                var realRun = new Latencies($"{what} ({arrivals.Label})");
                var first = offset;
                await realRun.RunAtRateAsync(arrivals, i => real(first + i));
                offset += total;
                result._runs.Add((arrivals.Label, bareRun, realRun));
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
