using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Benchmarks.Agents;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 6: from a breaching metric sample entering the system (an agent's metrics frame sent to the real
/// chatops gateway, embedded default) to the alert's post in the web channel, for a rule with for: 0s. The post's
/// time is the web channel's own timestamp on the thread's root message (same machine clock as the sender's).
/// Baseline in the same run: an in-process bus publish → consume round trip. Target: p99 <= 500 ms.
/// </summary>
public static class AlertLatencyScenario
{
    private const string Rules = """
        rules:
          - name: bench-cpu
            metric: cpu_usage_percent
            comparator: ">"
            threshold: 90
            for: 0s
            severity: critical
            summary: CPU above 90 % (benchmark rule)
            routes:
              - platform: web
                channel: ops
        """;

    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(BenchArgs args)
    {
        var alerts = args.Requests == 2000 ? 300 : args.Requests; // --requests N: how many alerts to fire (default 300)
        const int warmUp = 10; // the first alerts after start pay for JIT and first-use caches in the server: fired, not counted
        var baseline = await BusRoundTripAsync(2000);

        var rulesFile = Path.Combine(Path.GetTempPath(), $"chatops-bench-alerts-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rulesFile, Rules);
        try
        {
            await using var gateway = new GatewayProcess(new Dictionary<string, string> { ["ChatOps__Alerts__RulesFile"] = rulesFile });
            await gateway.StartAsync();
            using var invoker = LoopbackSockets.CreateInvoker(4);
            var probes = new List<(string ServerId, ProbeAgent Agent)>();
            try
            {
                for (var i = 0; i < alerts + warmUp; i++)
                {
                    var id = $"alert-{i:D4}";
                    using var response = await gateway.Http.PostAsJsonAsync("/api/servers", new { id });
                    var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
                    probes.Add((id, await ProbeAgent.ConnectAsync(gateway.AgentUrl, invoker, id, token)));
                }

                // Every series starts healthy, so each alert below is a fresh breach.
                foreach (var (_, agent) in probes) await agent.SendMetricsAsync(DateTimeOffset.UtcNow, Cpu(20));
                await Task.Delay(TimeSpan.FromSeconds(2));

                foreach (var (_, agent) in probes.Take(warmUp))
                {
                    await agent.SendMetricsAsync(DateTimeOffset.UtcNow, Cpu(97));
                    await Task.Delay(Spacing);
                }

                await Task.Delay(TimeSpan.FromSeconds(1));
                var sentAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
                foreach (var (serverId, agent) in probes.Skip(warmUp))
                {
                    var now = DateTimeOffset.UtcNow;
                    sentAt[serverId] = now;
                    await agent.SendMetricsAsync(now, Cpu(97));
                    await Task.Delay(Spacing);
                }

                var latencies = await PostLatenciesAsync(gateway, sentAt);
                Console.WriteLine(Line(baseline));
                Console.WriteLine(Line(latencies));
                Report.Ratio("alert p50 vs bus round trip p50", latencies.Percentile(50), baseline.Percentile(50));
                var missing = alerts - latencies.Count;
                var pass = missing == 0 && latencies.Percentile(99) <= 500;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(pass ? "PASS" : "MISS")}: p99 <= 500 ms from the metrics frame to the web channel post (got {latencies.Percentile(99):0.0} ms over {latencies.Count} alerts{(missing > 0 ? $", {missing} never posted" : "")}, after {warmUp} uncounted warm-up alerts; for: 0s, one breach every {Spacing.TotalMilliseconds:0} ms)"));
            }
            finally
            {
                foreach (var (_, agent) in probes) await agent.DisposeAsync();
            }
        }
        finally
        {
            File.Delete(rulesFile);
        }
    }

    private static string Line(Latencies latencies) => string.Create(CultureInfo.InvariantCulture,
        $"{latencies.Name,-52} n={latencies.Count,5}  p50={latencies.Percentile(50),8:0.00} ms  p99={latencies.Percentile(99),8:0.00} ms  max={latencies.Percentile(100),8:0.00} ms");

    private static IReadOnlyList<MetricSample> Cpu(double value) => [new("cpu_usage_percent", new Dictionary<string, string>(), value)];

    /// <summary>Waits for every alert to be posted, then reads each post's time from its web thread.</summary>
    private static async Task<Latencies> PostLatenciesAsync(GatewayProcess gateway, Dictionary<string, DateTimeOffset> sentAt)
    {
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        var posted = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (posted.Count < sentAt.Count && Stopwatch.GetTimestamp() < deadline)
        {
            foreach (var alert in (await gateway.Http.GetFromJsonAsync<JsonElement>("/api/alerts")).EnumerateArray())
            {
                var serverId = alert.GetProperty("serverId").GetString()!;
                if (posted.ContainsKey(serverId) || !sentAt.ContainsKey(serverId)) continue;
                var detail = await gateway.Http.GetFromJsonAsync<JsonElement>($"/api/alerts/{alert.GetProperty("id").GetString()}");
                foreach (var thread in detail.GetProperty("threads").EnumerateArray())
                {
                    if (thread.GetProperty("platform").GetString() != "web") continue;
                    var first = thread.GetProperty("messages").EnumerateArray().FirstOrDefault();
                    if (first.ValueKind == JsonValueKind.Object) posted[serverId] = first.GetProperty("at").GetDateTimeOffset();
                }
            }

            if (posted.Count < sentAt.Count) await Task.Delay(200);
        }

        var latencies = new Latencies("alert: metrics frame -> web channel post");
        foreach (var (serverId, at) in posted) latencies.Add(at - sentAt[serverId]);
        var slowest = posted.Select(p => (Order: sentAt.Keys.ToList().IndexOf(p.Key), Ms: (p.Value - sentAt[p.Key]).TotalMilliseconds)).OrderByDescending(p => p.Ms).Take(5);
        Console.WriteLine("slowest five (alert number in sending order: ms): " + string.Join(", ", slowest.Select(s => string.Create(CultureInfo.InvariantCulture, $"#{s.Order + 1}: {s.Ms:0}"))));
        return latencies;
    }

    /// <summary>The in-process bus: publish one metrics envelope, time until a subscriber of another group has it.</summary>
    private static async Task<Latencies> BusRoundTripAsync(int messages)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddInMemoryBus();
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IEventBus>();
        TaskCompletionSource? arrived = null;
        await using var subscription = await bus.SubscribeAsync(Topics.Metrics, "bench-baseline", (_, _) =>
        {
            arrived?.TrySetResult();
            return Task.CompletedTask;
        });
        var latencies = new Latencies("baseline: in-process bus publish -> consume");
        var snapshot = new MetricsReported(new MetricSnapshot("baseline", DateTimeOffset.UtcNow, Cpu(97)));
        for (var i = 0; i < messages + 200; i++)
        {
            arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = Stopwatch.GetTimestamp();
            await bus.PublishAsync(Topics.Metrics, Envelope.Create(EventTypes.MetricsReported, "baseline", snapshot, DateTimeOffset.UtcNow));
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            if (i >= 200) latencies.Add(Stopwatch.GetElapsedTime(started)); // the first 200 warm up
        }

        return latencies;
    }
}
