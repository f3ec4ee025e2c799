using System.Net.Http.Json;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1: how fast a chat request is acknowledged ("Queued as #id") under concurrent load, through
/// the built-in chat channel, next to a bare ASP.NET Core endpoint on the same machine. The target
/// server has no agent, so the command fails right after the ack and the load stays on the ack path.
/// </summary>
public static class AckLatencyScenario
{
    public static Task RunAsync(BenchArgs args) => RunAsync(args, null);

    /// <summary>The same against one chatops process in scale mode (Kafka mock cluster, Redis, PostgreSQL).</summary>
    public static async Task RunScaleAsync(BenchArgs args)
    {
        await using var backends = await Scale.ScaleBackends.StartAsync();
        await RunAsync(args, backends);
    }

    private static async Task RunAsync(BenchArgs args, Scale.ScaleBackends? scale)
    {
        await using var bare = await BareEndpoint.StartAsync();
        await using var server = await BenchServer.StartAsync(localAgent: false, scale?.ServerSettings());
        using (var enrol = await server.Http.PostAsJsonAsync("/api/servers", new { id = "db-1" })) enrol.EnsureSuccessStatusCode();

        var body = new { text = "/chatops run db-1 uptime" };
        async Task Bare(int _) => (await bare.Http.PostAsJsonAsync("/bare", body)).EnsureSuccessStatusCode().Dispose();
        long submitted = 0;
        async Task ChatOps(int _)
        {
            (await server.Http.PostAsJsonAsync("/api/chat/messages", body)).EnsureSuccessStatusCode().Dispose();
            Interlocked.Increment(ref submitted);
        }

        // Until the server stops compiling: with a fixed few thousand requests the measured run was
        // still partly unoptimised (and JIT-compiling) code on a 2-core machine.
        await WarmUp.WarmAsync("bare POST", args.Concurrency, Bare, WarmUp.LocalJitSeconds);
        await WarmUp.WarmAsync("POST /api/chat/messages", args.Concurrency, ChatOps, server.JitSecondsAsync);
        // The acks ran ahead of the router and notifier: let that backlog finish before measuring.
        var drained = await server.WaitForCommandsEndedAsync(Interlocked.Read(ref submitted));
        Console.WriteLine($"warm-up backlog: {drained}");

        var baseline = new Latencies($"bare ASP.NET Core POST (c={args.Concurrency})");
        await baseline.RunAsync(args.Requests, args.Concurrency, Bare);
        var ack = new Latencies($"chatops ack POST /api/chat/messages (c={args.Concurrency})");
        var cpuBefore = server.CpuTime;
        var gcBefore = await server.GcTotalsAsync();
        var loadGcMark = LoadGeneratorGc.Mark();
        await ack.RunAsync(args.Requests, args.Concurrency, ChatOps);
        // Until every command has ended, not only until the last ack (the backlog is the same work).
        var backlog = await server.WaitForCommandsEndedAsync(Interlocked.Read(ref submitted));
        var cpuPerAck = (server.CpuTime - cpuBefore).TotalMilliseconds / args.Requests;

        var openLoop = await OpenLoop.RunAsync(args, "POST /api/chat/messages", Bare, ChatOps);
        var gcAfter = await server.GcTotalsAsync();

        Console.WriteLine(baseline.Line());
        Console.WriteLine(ack.Line());
        Report.Ratio("ack p50", ack.Percentile(50), baseline.Percentile(50));
        Report.Ratio("ack p99", ack.Percentile(99), baseline.Percentile(99));
        openLoop.Print();
        Console.WriteLine(gcAfter.Since(gcBefore));
        Console.WriteLine(LoadGeneratorGc.Since(loadGcMark));
        // Includes the router and notifier work each ack sets off (the command fails: no agent).
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"server CPU per ack (whole pipeline: intake, router, notifier, until {backlog}): {cpuPerAck:0.00} ms; machine load average {LoadAverage()}"));
        Console.WriteLine(scale is null ? "target: ack p99 <= 10 ms in the embedded default" : "target: ack p99 <= 30 ms in scale mode (Kafka is the mock cluster)");
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
