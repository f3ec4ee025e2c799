using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>
/// The latency half of an ack scenario: requests arrive at fixed rates (open loop), the bare endpoint
/// and the real one each at the same rate, so p99 says how long a request waits for its answer when
/// others are in flight, rather than how deep a saturated queue is (what the closed loop at c=16 shows).
/// </summary>
public sealed class OpenLoop
{
    private readonly List<(double Rate, Latencies Bare, Latencies Real)> _runs = [];

    public static async Task<OpenLoop> RunAsync(BenchArgs args, string what, Func<int, Task> bare, Func<int, Task> real, int firstIndex = 0)
    {
        var result = new OpenLoop();
        var offset = firstIndex;
        foreach (var rate in args.Rates)
        {
            // At least ten seconds of arrivals, so a p99 rests on a few dozen slow calls, not one.
            var total = Math.Max(args.Requests, (int)(rate * 10));
            var bareRun = new Latencies(string.Create(CultureInfo.InvariantCulture, $"bare ASP.NET Core POST ({rate:0}/s open loop)"));
            await bareRun.RunAtRateAsync(total, rate, bare);
            var realRun = new Latencies(string.Create(CultureInfo.InvariantCulture, $"{what} ({rate:0}/s open loop)"));
            await realRun.RunAtRateAsync(total, rate, i => real(offset + i));
            offset += total;
            result._runs.Add((rate, bareRun, realRun));
        }

        return result;
    }

    public void Print()
    {
        foreach (var (rate, bare, real) in _runs)
        {
            Console.WriteLine(bare.Line());
            Console.WriteLine(real.Line());
            Report.Ratio(string.Create(CultureInfo.InvariantCulture, $"p99 at {rate:0}/s"), real.Percentile(99), bare.Percentile(99));
        }
    }
}
