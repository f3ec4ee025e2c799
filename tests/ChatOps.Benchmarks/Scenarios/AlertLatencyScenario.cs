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
/// The run waits on the gateway's own <c>alert</c> events on <c>/api/live</c> to know when each alert has fired,
/// then reads the stored post times once (no polling of the alert list).
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
                var counted = probes.Skip(warmUp).Select(p => p.ServerId).ToHashSet(StringComparer.Ordinal);
                // Subscribed before the first counted breach, so no fired event can be missed.
                await using var fired = await FiredAlerts.WatchAsync(gateway, counted);
                var sentAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
                foreach (var (serverId, agent) in probes.Skip(warmUp))
                {
                    var now = DateTimeOffset.UtcNow;
                    sentAt[serverId] = now;
                    await agent.SendMetricsAsync(now, Cpu(97));
                    await Task.Delay(Spacing);
                }

                var latencies = await PostLatenciesAsync(gateway, sentAt, fired);
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

    /// <summary>Waits for every alert's fired event on the live feed, then reads each post's time from its web thread.</summary>
    private static async Task<Latencies> PostLatenciesAsync(GatewayProcess gateway, Dictionary<string, DateTimeOffset> sentAt, FiredAlerts fired)
    {
        var alertIds = await fired.AllAsync(TimeSpan.FromSeconds(60));
        var posted = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (serverId, alertId) in alertIds)
        {
            // The notifier posts in parallel with the live feed (two consumer groups of one event), so a post
            // can trail its fired event by a moment: only then is the thread read again, briefly.
            for (var attempt = 0; attempt < 100 && !posted.ContainsKey(serverId); attempt++)
            {
                if (await RootPostAtAsync(gateway, alertId) is { } at) posted[serverId] = at;
                else await Task.Delay(10);
            }
        }

        var latencies = new Latencies("alert: metrics frame -> web channel post");
        foreach (var (serverId, at) in posted) latencies.Add(at - sentAt[serverId]);
        var slowest = posted.Select(p => (Order: sentAt.Keys.ToList().IndexOf(p.Key), Ms: (p.Value - sentAt[p.Key]).TotalMilliseconds)).OrderByDescending(p => p.Ms).Take(5);
        Console.WriteLine("slowest five (alert number in sending order: ms): " + string.Join(", ", slowest.Select(s => string.Create(CultureInfo.InvariantCulture, $"#{s.Order + 1}: {s.Ms:0}"))));
        return latencies;
    }

    /// <summary>When the web channel stored the alert's root message, or null while it has none.</summary>
    private static async Task<DateTimeOffset?> RootPostAtAsync(GatewayProcess gateway, string alertId)
    {
        var detail = await gateway.Http.GetFromJsonAsync<JsonElement>($"/api/alerts/{alertId}");
        foreach (var thread in detail.GetProperty("threads").EnumerateArray())
        {
            if (thread.GetProperty("platform").GetString() != "web") continue;
            var first = thread.GetProperty("messages").EnumerateArray().FirstOrDefault();
            if (first.ValueKind == JsonValueKind.Object) return first.GetProperty("at").GetDateTimeOffset();
        }

        return null;
    }

    /// <summary>
    /// The gateway's <c>/api/live</c> stream, read in the background: the id of each alert fired on one of the
    /// watched servers, complete once every one of them has fired.
    /// </summary>
    private sealed class FiredAlerts : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly HashSet<string> _servers;
        private readonly Dictionary<string, string> _alertIds = new(StringComparer.Ordinal);
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private Task _reading = Task.CompletedTask;

        private FiredAlerts(HttpClient http, HashSet<string> servers)
        {
            _http = http;
            _servers = servers;
        }

        public static async Task<FiredAlerts> WatchAsync(GatewayProcess gateway, HashSet<string> servers)
        {
            // Its own client: a stream stays open longer than any request timeout.
            var http = new HttpClient { BaseAddress = gateway.Http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.Authorization = gateway.Http.DefaultRequestHeaders.Authorization;
            var watcher = new FiredAlerts(http, servers);
            var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/live"), HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            // The page is joined once the first line is written.
            if (await reader.ReadLineAsync() != "retry: 3000") throw new InvalidOperationException("/api/live did not start like a live stream");
            watcher._reading = watcher.ReadAsync(response, reader);
            return watcher;
        }

        /// <summary>Server id → alert id, once every watched server's alert fired; throws after <paramref name="timeout"/>.</summary>
        public async Task<IReadOnlyDictionary<string, string>> AllAsync(TimeSpan timeout)
        {
            try
            {
                await _all.Task.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                // Report what did fire: the missing ones count as never posted.
            }

            lock (_alertIds) return new Dictionary<string, string>(_alertIds, StringComparer.Ordinal);
        }

        private async Task ReadAsync(HttpResponseMessage response, StreamReader reader)
        {
            using (response)
            using (reader)
            {
                string? eventName = null;
                try
                {
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line["event: ".Length..];
                        else if (eventName == "alert" && line.StartsWith("data: ", StringComparison.Ordinal)) OnAlert(JsonDocument.Parse(line["data: ".Length..]).RootElement);
                    }
                }
                catch (Exception ex) when (_stop.IsCancellationRequested || ex is IOException or HttpRequestException)
                {
                    // Disposed, or the gateway went away: what arrived so far is what AllAsync reports.
                }
            }
        }

        private void OnAlert(JsonElement update)
        {
            if (update.GetProperty("type").GetString() != "alert.fired") return;
            var serverId = update.GetProperty("serverId").GetString()!;
            if (!_servers.Contains(serverId)) return;
            lock (_alertIds)
            {
                _alertIds.TryAdd(serverId, update.GetProperty("alertId").GetString()!);
                if (_alertIds.Count == _servers.Count) _all.TrySetResult();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _stop.Dispose();
            _http.Dispose();
        }
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
