using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1 on the real path: a signed Slack slash command (<c>POST /slack/commands</c>) until its
/// ack, under concurrent load, next to a bare ASP.NET Core endpoint. Slack's Web API and the
/// commands' response URLs are a local fake (the bare endpoint app) answering at once. The warm-up
/// posts in the channels, so the measured acks take the ack-first path (queued, acked, the thread
/// root follows: <c>ChatOps:Slack:AckFirst</c>); the first command in a channel ChatOps has not
/// posted in lately waits for its root instead (one <c>chat.postMessage</c> more). The fake has no
/// per-channel limit, so the adapter's own pace (about one message per second per channel, as Slack
/// asks) is off here; it would slow the roots and replies, not the acks.
/// </summary>
public static class SlackAckScenario
{
    private const string Secret = "bench-signing-secret";

    public static async Task RunAsync(BenchArgs args)
    {
        await using var bare = await BareEndpoint.StartAsync();
        await using var server = await BenchServer.StartAsync(localAgent: false, new Dictionary<string, string>
        {
            ["ChatOps__Slack__SigningSecret"] = Secret,
            ["ChatOps__Slack__BotToken"] = "xoxb-bench",
            ["ChatOps__Slack__ApiBaseUrl"] = bare.Http.BaseAddress + "slack-api/",
            ["ChatOps__Slack__Users"] = "UBENCH=operator",
            ["ChatOps__Slack__ChannelInterval"] = "00:00:00",
            // If the server stops mid-run, its log says whether it was asked to (start and stop lines).
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        });
        using (var enrol = await server.Http.PostAsJsonAsync("/api/servers", new { id = "db-1" })) enrol.EnsureSuccessStatusCode();

        // Late answers go to a local stub, never to hooks.slack.com (which does not even resolve here).
        var responseUrl = bare.Http.BaseAddress + "slack-api/response-url";
        async Task Bare(int i) => (await bare.Http.PostAsync("/bare", Form(i, responseUrl))).EnsureSuccessStatusCode().Dispose();
        var outcomes = new Dictionary<string, int>();
        long submitted = 0;
        // channels: 1 = every command into one channel (its roots queue behind each other); 16 = spread out.
        async Task Slack(int i, int channels)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = Form(i, responseUrl, channels) };
            var body = await request.Content!.ReadAsByteArrayAsync();
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
            request.Headers.Add("X-Slack-Signature", Sign(timestamp, body));
            using var response = await server.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            // What the ack said: the measured path is "Queued as #id" (command published; its root follows).
            var text = await response.Content.ReadAsStringAsync();
            var outcome = text.Contains("Queued as #", StringComparison.Ordinal) ? "queued" : text.Contains("Working on it", StringComparison.Ordinal) ? "answered later" : "other";
            lock (outcomes) outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            Interlocked.Increment(ref submitted);
        }

        // Until the server stops compiling: a process still in the JIT is not what the target is about.
        await WarmUp.WarmAsync("bare POST", args.Concurrency, Bare, WarmUp.LocalJitSeconds);
        try
        {
            await WarmUp.WarmAsync("slack slash command", args.Concurrency, i => Slack(i, 1), server.JitSecondsAsync);
            // The acks ran ahead of the router and notifier: let that backlog finish before measuring.
            var drained = await server.WaitForCommandsEndedAsync(Interlocked.Read(ref submitted));
            Console.WriteLine($"warm-up backlog: {drained}");
        }
        catch (HttpRequestException)
        {
            Console.Error.WriteLine(server.Output);
            throw;
        }
        var baseline = new Latencies($"bare ASP.NET Core POST (c={args.Concurrency})");
        await baseline.RunAsync(args.Requests, args.Concurrency, Bare);
        var ack = new Latencies($"slack slash command ack, one channel (c={args.Concurrency})");
        var spread = new Latencies($"slack slash command ack, 16 channels (c={args.Concurrency})");
        OpenLoop openLoop;
        double cpuPerAck;
        BenchServer.Drain backlog;
        var cpuBefore = server.CpuTime;
        var gcBefore = await server.GcTotalsAsync();
        var loadGcMark = LoadGeneratorGc.Mark();
        BenchServer.GcTotals gcAfter;
        try
        {
            await ack.RunAsync(args.Requests, args.Concurrency, i => Slack(i, 1));
            await spread.RunAsync(args.Requests, args.Concurrency, i => Slack(args.Requests + i, 16));
            // CPU until every command of these runs has ended, not only until the last ack: under this load
            // the acks run ahead of the router and notifier, and the backlog they leave is the same work.
            backlog = await server.WaitForCommandsEndedAsync(Interlocked.Read(ref submitted));
            cpuPerAck = (server.CpuTime - cpuBefore).TotalMilliseconds / (2 * args.Requests);
            // One channel: every root queues in one channel's outbox, the harder case.
            openLoop = await OpenLoop.RunAsync(args, "slack slash command ack, one channel", Bare, i => Slack(i, 1), firstIndex: 2 * args.Requests);
            gcAfter = await server.GcTotalsAsync();
        }
        catch (HttpRequestException)
        {
            Console.Error.WriteLine(server.Output[^Math.Min(4000, server.Output.Length)..]);
            throw;
        }

        Console.WriteLine(baseline.Line());
        Console.WriteLine(ack.Line());
        Console.WriteLine(spread.Line());
        Console.WriteLine("slack acks (warm-up and runs): " + string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Value} {o.Key}")));
        Report.Ratio("slack ack p50", ack.Percentile(50), baseline.Percentile(50));
        Report.Ratio("slack ack p99", ack.Percentile(99), baseline.Percentile(99));
        Report.Ratio("slack ack p50, 16 channels", spread.Percentile(50), baseline.Percentile(50));
        Report.Ratio("slack ack p99, 16 channels", spread.Percentile(99), baseline.Percentile(99));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"server CPU per slack ack (whole pipeline: verify, intake, root post, router, notifier, until {backlog}): {cpuPerAck:0.00} ms; machine load average {AckLatencyScenario.LoadAverage()}"));
        openLoop.Print();
        Console.WriteLine(gcAfter.Since(gcBefore));
        Console.WriteLine(LoadGeneratorGc.Since(loadGcMark));
        Console.WriteLine("target: ack p99 <= 10 ms in the embedded default");
    }

    private static FormUrlEncodedContent Form(int i, string responseUrl, int channels = 1) => new(new Dictionary<string, string>
    {
        ["team_id"] = "TBENCH", ["user_id"] = "UBENCH", ["user_name"] = "bench", ["channel_id"] = $"CBENCH{i % channels}",
        ["command"] = "/chatops", ["text"] = "run db-1 uptime", ["trigger_id"] = $"trig-{i}-{Guid.NewGuid():N}",
        ["response_url"] = responseUrl,
    });

    private static string Sign(string timestamp, byte[] body)
    {
        var prefix = Encoding.ASCII.GetBytes($"v0:{timestamp}:");
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), prefix.Concat(body).ToArray()));
    }
}
