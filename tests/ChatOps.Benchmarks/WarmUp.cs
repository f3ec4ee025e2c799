using System.Diagnostics;
using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>
/// Warms a path up until the process serving it has stopped compiling, so the measured runs time a
/// server in its steady state (what a process that has been up for a while runs) rather than one still
/// in the JIT. A fixed count was not enough on 2 cores: the server kept compiling (a fifth to two
/// thirds of each second) until about 25,000 slash commands had gone through, as tiering recompiles
/// hot methods, optimised, well after their first calls (some 15,000 compilations in all); the same
/// code measured 1.8 ms of CPU per ack after 1,000 commands and 0.6 ms once compiled.
/// Rounds of a fixed size run closed loop at the scenario's concurrency; the warm-up ends after two
/// rounds in a row in which the serving process compiled for under 5 % of the round's time, or after
/// <see cref="MaxRounds"/> (said in the output).
/// </summary>
public static class WarmUp
{
    private const int DefaultRoundSize = 2000;
    private const int MinRounds = 3;
    private const int MaxRounds = 25;
    private const double QuietShare = 0.05;

    /// <summary>The benchmark's own JIT time: for endpoints served inside this process (the bare baseline).</summary>
    public static Task<double> LocalJitSeconds() => Task.FromResult(System.Runtime.JitInfo.GetCompilationTime().TotalSeconds);

    /// <summary>Warms up <paramref name="work"/>; <paramref name="jitSeconds"/> reads the serving process's JIT time so far.</summary>
    public static async Task WarmAsync(string what, int concurrency, Func<int, Task> work, Func<Task<double>> jitSeconds, int roundSize = DefaultRoundSize)
    {
        var rounds = new List<string>();
        var quietRounds = 0;
        while (rounds.Count < MaxRounds && (rounds.Count < MinRounds || quietRounds < 2))
        {
            var offset = rounds.Count * roundSize;
            var jitBefore = await jitSeconds();
            var started = Stopwatch.GetTimestamp();
            var round = new Latencies("warm-up");
            await round.RunAsync(roundSize, concurrency, i => work(offset + i));
            var share = (await jitSeconds() - jitBefore) / Stopwatch.GetElapsedTime(started).TotalSeconds;
            quietRounds = share < QuietShare ? quietRounds + 1 : 0;
            rounds.Add(string.Create(CultureInfo.InvariantCulture, $"{round.PerSecond:0}/s jit {share:0%}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warm-up, {what}: {rounds.Count} rounds of {roundSize} at c={concurrency} ({string.Join(", ", rounds)}){(quietRounds < 2 ? "; still compiling at the cap" : "")}"));
    }
}
