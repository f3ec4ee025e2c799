using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using ChatOps.Benchmarks.Agents;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 4: many simulated agents on one gateway, the real chatops process (embedded default), each with its
/// own enrolment token, speaking the real frames. Measures the gateway's memory per agent, heartbeat lateness,
/// metrics reaching the server, and the time until all are back after the gateway is killed and restarted
/// (the agents use the real agent's jittered backoff). Baseline in the same run: as many bare WebSockets held
/// by a minimal Kestrel echo process. Targets: <= 64 KB per agent, heartbeats never late, all back in <= 10 s.
/// </summary>
public static class AgentsScenario
{
    private const int SourceAddresses = 8;
    private static readonly TimeSpan SteadyWindow = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectLimit = TimeSpan.FromMinutes(3);

    public static async Task RunAsync(BenchArgs args)
    {
        var wanted = args.Servers == 1000 ? 10_000 : args.Servers; // --servers N for a smaller (or larger) fleet
        var count = Math.Min(wanted, FileDescriptorBudget());
        if (count < wanted)
            Console.WriteLine($"note: {wanted} agents need {wanted} sockets in this process, but `ulimit -n` allows {OpenFileLimit()}; running {count}");

        var baseline = await BaselineAsync(count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{$"baseline: {count} bare WebSockets on a Kestrel echo process",-58} {Kb(baseline.PerConnection.WorkingSetBytes),7:0.0} KB working set, {Kb(baseline.PerConnection.GcHeapResidentBytes),6:0.0} KB GC heap per connection; all {count} opened at once in {baseline.ConnectSeconds:0.0} s ({count / baseline.ConnectSeconds:0}/s)"));

        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        var enrolStarted = Stopwatch.GetTimestamp();
        var tokens = await EnrolAsync(gateway, count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"enrolled {count} servers through POST /api/servers in {Stopwatch.GetElapsedTime(enrolStarted).TotalSeconds:0.0} s"));

        var idle = await SettledMemoryAsync(gateway.ProcessId);
        using var invoker = LoopbackSockets.CreateInvoker(SourceAddresses);
        var fleet = new AgentFleet(gateway.AgentUrl, invoker);
        using var stop = new CancellationTokenSource();
        var random = new Random(7);
        var connectStarted = Stopwatch.GetTimestamp();
        var (gatewayCpu, selfCpu) = (ProcessCpu.Read(gateway.ProcessId), Environment.CpuUsage.TotalTime);
        var allConnected = fleet.WhenConnectedAsync(count);
        var agents = tokens.Select(t => Task.Run(() => new SimulatedAgent(fleet, t.ServerId, t.Token, new Random(random.Next())).RunAsync(stop.Token))).ToList();
        var reached = await WaitConnectedAsync(fleet, allConnected, count, "the first connection");
        var connectSeconds = Stopwatch.GetElapsedTime(connectStarted).TotalSeconds;
        if (!reached)
        {
            Console.WriteLine($"MISS: only {fleet.Connected} of {count} agents connected within {ConnectLimit.TotalMinutes:0} min (failed attempts {fleet.FailedAttempts}); gateway log tail:\n{Tail(gateway.Output)}");
            await StopAsync(stop, agents);
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} agents connected (hello/welcome) in {connectSeconds:0.0} s ({count / connectSeconds:0}/s), {fleet.FailedAttempts} failed attempts on the way; CPU per connection: gateway {(ProcessCpu.Read(gateway.ProcessId) - gatewayCpu).TotalMilliseconds / count:0.00} ms, simulated agents {(Environment.CpuUsage.TotalTime - selfCpu).TotalMilliseconds / count:0.00} ms"));
        Report.Ratio("time to connect all vs bare WebSockets", connectSeconds, baseline.ConnectSeconds);

        // Steady state: heartbeats every HeartbeatInterval, metrics every MetricsInterval, nothing else.
        fleet.ResetLateness();
        var heartbeatsBefore = Interlocked.Read(ref fleet.HeartbeatsSent);
        var metricsBefore = Interlocked.Read(ref fleet.MetricSamplesSent);
        var steadyFrom = DateTimeOffset.UtcNow;
        fleet.Steady = true;
        var steadyCpu = ProcessCpu.Read(gateway.ProcessId);
        await Task.Delay(SteadyWindow);
        var loaded = ProcessMemory.Read(gateway.ProcessId);
        var steadyCpuShare = (ProcessCpu.Read(gateway.ProcessId) - steadyCpu) / SteadyWindow;
        fleet.Steady = false;
        var perAgent = new ProcessMemory((loaded.WorkingSetBytes - idle.WorkingSetBytes) / count, (loaded.GcHeapResidentBytes - idle.GcHeapResidentBytes) / count);
        var lateness = fleet.Lateness();
        var (online, freshMetrics) = await MetricsSeenAsync(gateway, steadyFrom);
        var heartbeats = Interlocked.Read(ref fleet.HeartbeatsSent) - heartbeatsBefore;
        var samples = Interlocked.Read(ref fleet.MetricSamplesSent) - metricsBefore;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{$"gateway (chatops): {count} agents",-58} {Kb(perAgent.WorkingSetBytes),7:0.0} KB working set, {Kb(perAgent.GcHeapResidentBytes),6:0.0} KB GC heap per agent (whole process {loaded.WorkingSetBytes / 1048576.0:0} MB, idle {idle.WorkingSetBytes / 1048576.0:0} MB)"));
        Report.Ratio("working set per agent vs bare WebSocket", perAgent.WorkingSetBytes, Math.Max(baseline.PerConnection.WorkingSetBytes, 1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"heartbeats in {SteadyWindow.TotalSeconds:0} s: {heartbeats} sent ({heartbeats / SteadyWindow.TotalSeconds:0}/s), lateness p50 {lateness.P50:0.0} ms, p99 {lateness.P99:0.0} ms, max {lateness.Max:0.0} ms vs the {Welcome.Heartbeat.TotalSeconds:0} s interval; connections lost meanwhile: {fleet.LostWhileSteady}; gateway CPU {steadyCpuShare:P0} of one core"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"metrics: {samples} samples sent ({samples / SteadyWindow.TotalSeconds:0}/s); the server lists {online} of {count} online, {freshMetrics} with metrics from this window"));

        // Restart: kill the gateway, start it again on the same port and data, wait for every agent to be back.
        fleet.Steady = false;
        var welcomesBefore = Interlocked.Read(ref fleet.Welcomes);
        var failedBefore = Interlocked.Read(ref fleet.FailedAttempts);
        var killedAt = Stopwatch.GetTimestamp();
        await gateway.KillAsync();
        await WaitUntilAsync(() => fleet.Connected == 0, TimeSpan.FromSeconds(30));
        var back = fleet.WhenConnectedAsync(count);
        var restarting = Stopwatch.GetTimestamp();
        await gateway.StartAsync();
        var startSeconds = Stopwatch.GetElapsedTime(restarting).TotalSeconds;
        var allBack = await WaitConnectedAsync(fleet, back, count, "the restart");
        var reconnectSeconds = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"restart: {(allBack ? "all" : $"only {fleet.Connected} of")} {count} agents back {reconnectSeconds:0.0} s after the kill (the new process answered /readyz after {startSeconds:0.0} s; {Interlocked.Read(ref fleet.Welcomes) - welcomesBefore} welcomes, {Interlocked.Read(ref fleet.FailedAttempts) - failedBefore} failed attempts: refused while it was down, or timed out in its accept queue)"));

        var memoryOk = perAgent.WorkingSetBytes <= 64 * 1024;
        var heartbeatOk = fleet.LostWhileSteady == 0 && lateness.Max < Welcome.Heartbeat.TotalMilliseconds;
        var metricsOk = online == count && freshMetrics == count;
        var restartOk = allBack && reconnectSeconds <= 10;
        Console.WriteLine($"{Verdict(memoryOk)}: <= 64 KB per agent on the gateway (working set delta / {count})");
        Console.WriteLine($"{Verdict(heartbeatOk)}: heartbeats never late (max lateness below the interval, no connection lost while steady)");
        Console.WriteLine($"{Verdict(metricsOk)}: metrics flowing from every agent");
        Console.WriteLine($"{Verdict(restartOk)}: all {count} agents reconnected <= 10 s after a gateway restart");
        await StopAsync(stop, agents);
    }

    private static string Verdict(bool ok) => ok ? "PASS" : "MISS";

    private static double Kb(long bytes) => bytes / 1024.0;

    /// <summary>The gateway's defaults (AgentGatewayOptions), which the welcome frame carries.</summary>
    private static class Welcome
    {
        public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);
    }

    private static async Task<(ProcessMemory PerConnection, double ConnectSeconds)> BaselineAsync(int count)
    {
        var (process, port) = await EchoHost.StartAsync();
        await using (process)
        {
            var idle = await SettledMemoryAsync(process.Id);
            using var invoker = LoopbackSockets.CreateInvoker(SourceAddresses);
            var url = new Uri($"ws://127.0.0.1:{port}/echo");
            var sockets = new ClientWebSocket[count];
            var started = Stopwatch.GetTimestamp();
            // All at once, like the agents below (a fleet coming back after a restart is a storm, not a queue).
            await ForEachAsync(count, count, async i =>
            {
                var socket = new ClientWebSocket();
                await socket.ConnectAsync(url, invoker, CancellationToken.None);
                await socket.SendAsync("""{"type":"heartbeat"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
                var buffer = new byte[256];
                await socket.ReceiveAsync(buffer, CancellationToken.None);
                sockets[i] = socket;
            });
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(2));
            var loaded = ProcessMemory.Read(process.Id);
            foreach (var socket in sockets) socket.Abort();
            foreach (var socket in sockets) socket.Dispose();
            return (new ProcessMemory((loaded.WorkingSetBytes - idle.WorkingSetBytes) / count, (loaded.GcHeapResidentBytes - idle.GcHeapResidentBytes) / count), seconds);
        }
    }

    private static async Task<List<(string ServerId, string Token)>> EnrolAsync(GatewayProcess gateway, int count)
    {
        var tokens = new (string, string)[count];
        await ForEachAsync(count, 8, async i =>
        {
            var id = $"sim-{i:D5}";
            using var response = await gateway.Http.PostAsJsonAsync("/api/servers", new { id });
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"enrolling {id}: {(int)response.StatusCode} {body}");
            tokens[i] = (id, JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!);
        });
        return [.. tokens];
    }

    /// <summary>How many servers GET /api/servers shows online, and with metrics taken since <paramref name="since"/>.</summary>
    private static async Task<(int Online, int Fresh)> MetricsSeenAsync(GatewayProcess gateway, DateTimeOffset since)
    {
        using var document = JsonDocument.Parse(await gateway.Http.GetStringAsync("/api/servers"));
        int online = 0, fresh = 0;
        foreach (var server in document.RootElement.EnumerateArray())
        {
            if (server.GetProperty("online").GetBoolean()) online++;
            if (server.TryGetProperty("metrics", out var metrics) && metrics.ValueKind == JsonValueKind.Object && metrics.GetProperty("at").GetDateTimeOffset() >= since) fresh++;
        }

        return (online, fresh);
    }

    private static async Task<bool> WaitConnectedAsync(AgentFleet fleet, Task allConnected, int count, string phase)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(ConnectLimit.TotalSeconds * Stopwatch.Frequency);
        var lastReport = Stopwatch.GetTimestamp();
        while (!allConnected.IsCompleted && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.WhenAny(allConnected, Task.Delay(TimeSpan.FromSeconds(1)));
            if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(15))
            {
                Console.WriteLine($"  ... {phase}: {fleet.Connected} of {count} connected, {fleet.FailedAttempts} failed attempts so far");
                lastReport = Stopwatch.GetTimestamp();
            }
        }

        return allConnected.IsCompleted;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (!condition() && Stopwatch.GetTimestamp() < deadline) await Task.Delay(5);
    }

    /// <summary>The idle process's memory once start-up garbage has had a moment to go.</summary>
    private static async Task<ProcessMemory> SettledMemoryAsync(int pid)
    {
        await Task.Delay(TimeSpan.FromSeconds(3));
        return ProcessMemory.Read(pid);
    }

    private static async Task StopAsync(CancellationTokenSource stop, List<Task> agents)
    {
        await stop.CancelAsync();
        await Task.WhenAll(agents).WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async Task ForEachAsync(int count, int concurrency, Func<int, Task> work)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) await work(i);
        }));
    }

    private static int OpenFileLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
                return int.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], out var soft) ? soft : int.MaxValue;
        return int.MaxValue;
    }

    /// <summary>Sockets this process may open for agents: the soft limit less a margin for everything else.</summary>
    private static int FileDescriptorBudget() => Math.Max(OpenFileLimit() - 500, 100);

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(20));
}
