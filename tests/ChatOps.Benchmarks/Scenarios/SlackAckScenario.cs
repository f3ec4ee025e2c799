using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1 on the real path: a signed Slack slash command (<c>POST /slack/commands</c>) until its
/// ack, under concurrent load, next to a bare ASP.NET Core endpoint. Slack's Web API is a local fake
/// (the bare endpoint app) answering chat.postMessage at once; the ack includes posting the thread's
/// root message there (by design: the thread exists before the command is queued).
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
        });
        using (var enrol = await server.Http.PostAsJsonAsync("/api/servers", new { id = "db-1" })) enrol.EnsureSuccessStatusCode();

        async Task Bare(int i) => (await bare.Http.PostAsync("/bare", Form(i))).EnsureSuccessStatusCode().Dispose();
        async Task Slack(int i)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = Form(i) };
            var body = await request.Content!.ReadAsByteArrayAsync();
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
            request.Headers.Add("X-Slack-Signature", Sign(timestamp, body));
            using var response = await server.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }

        await new Latencies("warm-up").RunAsync(200, args.Concurrency, Bare);
        try
        {
            await new Latencies("warm-up").RunAsync(200, args.Concurrency, Slack);
        }
        catch (HttpRequestException)
        {
            Console.Error.WriteLine(server.Output);
            throw;
        }
        var baseline = new Latencies($"bare ASP.NET Core POST (c={args.Concurrency})");
        await baseline.RunAsync(args.Requests, args.Concurrency, Bare);
        var ack = new Latencies($"slack slash command ack (c={args.Concurrency})");
        try
        {
            await ack.RunAsync(args.Requests, args.Concurrency, Slack);
        }
        catch (HttpRequestException)
        {
            Console.Error.WriteLine(server.Output[^Math.Min(4000, server.Output.Length)..]);
            throw;
        }

        Console.WriteLine(baseline.Line());
        Console.WriteLine(ack.Line());
        Report.Ratio("slack ack p50", ack.Percentile(50), baseline.Percentile(50));
        Report.Ratio("slack ack p99", ack.Percentile(99), baseline.Percentile(99));
        Console.WriteLine("target: ack p99 <= 10 ms in the embedded default");
    }

    private static FormUrlEncodedContent Form(int i) => new(new Dictionary<string, string>
    {
        ["team_id"] = "TBENCH", ["user_id"] = "UBENCH", ["user_name"] = "bench", ["channel_id"] = "CBENCH",
        ["command"] = "/chatops", ["text"] = "run db-1 uptime", ["trigger_id"] = $"trig-{i}-{Guid.NewGuid():N}",
        ["response_url"] = "https://hooks.slack.com/commands/T/1/x",
    });

    private static string Sign(string timestamp, byte[] body)
    {
        var prefix = Encoding.ASCII.GetBytes($"v0:{timestamp}:");
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), prefix.Concat(body).ToArray()));
    }
}
