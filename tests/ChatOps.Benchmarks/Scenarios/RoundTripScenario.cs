using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 2: a whole command, chat request -> router -> lock -> real agent (echo) -> reply posted,
/// one at a time, in the embedded default. Baseline: the irreducible parts measured in the same run
/// (two bare HTTP calls and one spawn of /bin/echo).
/// </summary>
public static class RoundTripScenario
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
        var count = Math.Min(args.Requests, 300);
        await using var bare = await BareEndpoint.StartAsync();
        await using var server = await BenchServer.StartAsync(localAgent: true, scale?.ServerSettings());
        await WaitForLocalAgentAsync(server);

        async Task RoundTrip(int i)
        {
            using var post = await server.Http.PostAsJsonAsync("/api/chat/messages", new { text = $"run echo bench-{i} on local" });
            var answer = await post.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            var thread = await server.Http.GetFromJsonAsync<JsonElement>($"/api/chat/threads/{answer.GetProperty("threadId").GetString()}?wait=final");
            if (thread.GetProperty("status").GetString() != "succeeded") throw new InvalidOperationException("command did not succeed: " + thread);
        }

        async Task Baseline(int i)
        {
            (await bare.Http.PostAsJsonAsync("/bare", new { text = "x" })).Dispose();
            (await bare.Http.GetAsync("/bare")).Dispose();
            using var echo = Process.Start(new ProcessStartInfo("echo") { ArgumentList = { $"bench-{i}" }, RedirectStandardOutput = true, UseShellExecute = false })!;
            await echo.StandardOutput.ReadToEndAsync();
            await echo.WaitForExitAsync();
        }

        // Until the server has stopped compiling (one at a time, so in short rounds).
        await WarmUp.WarmAsync("round trip", 1, RoundTrip, server.JitSecondsAsync, roundSize: 200);
        var baseline = new Latencies("baseline: 2 bare HTTP calls + spawn echo");
        await baseline.RunAsync(count, 1, Baseline);
        var roundTrip = new Latencies("chatops round trip run echo on local");
        await roundTrip.RunAsync(count, 1, RoundTrip);

        Console.WriteLine(baseline.Line());
        Console.WriteLine(roundTrip.Line());
        Report.Ratio("round trip p50", roundTrip.Percentile(50), baseline.Percentile(50));
        Console.WriteLine(scale is null ? "targets (embedded): p50 <= 10 ms, p99 <= 50 ms" : "targets (scale mode): p50 <= 25 ms, p99 <= 100 ms (Kafka is the mock cluster)");
    }

    private static async Task WaitForLocalAgentAsync(BenchServer server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var servers = await server.Http.GetFromJsonAsync<JsonElement>("/api/servers");
            if (servers.EnumerateArray().Any(s => s.GetProperty("id").GetString() == "local" && s.GetProperty("online").GetBoolean())) return;
            await Task.Delay(50);
        }

        throw new TimeoutException("the local agent did not come online");
    }
}
