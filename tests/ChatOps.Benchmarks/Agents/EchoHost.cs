using System.Net.WebSockets;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.Benchmarks.Agents;

/// <summary>
/// The `agents` baseline: a minimal Kestrel WebSocket echo endpoint in its own process (this benchmark binary
/// started with the internal scenario name <see cref="ScenarioName"/>), so its memory is measured like the gateway's.
/// </summary>
public static class EchoHost
{
    public const string ScenarioName = "agents-echo-host";
    private const string PortVariable = "CHATOPS_BENCH_ECHO_PORT";

    /// <summary>The child process's side: serve until killed.</summary>
    public static async Task RunAsync(BenchArgs args)
    {
        if (Environment.GetEnvironmentVariable(PortVariable) is not { } port)
        {
            Console.WriteLine($"(internal: the baseline host of `agents`, started by it with {PortVariable}; nothing to do)");
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/ready", () => "ok");
        app.Map("/echo", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096]; // like the gateway's first receive segment
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
                    if (result.MessageType == WebSocketMessageType.Close) return;
                    await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // the benchmark closed its side
            }
        });
        await app.RunAsync();
    }

    /// <summary>The parent's side: start the host process and wait until it answers.</summary>
    public static async Task<(ChildProcess Process, int Port)> StartAsync()
    {
        var port = BenchServer.FreePort();
        var self = Path.Combine(AppContext.BaseDirectory, "ChatOps.Benchmarks.dll");
        var process = ChildProcess.StartDotnet(self, [ScenarioName], new Dictionary<string, string> { [PortVariable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, AppContext.BaseDirectory);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await GatewayProcess.WaitReadyAsync(http, "/ready", process);
        return (process, port);
    }
}
