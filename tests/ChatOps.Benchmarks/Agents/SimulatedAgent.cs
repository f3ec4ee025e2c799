using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;

namespace ChatOps.Benchmarks.Agents;

/// <summary>
/// One agent as the gateway sees it: the real frames (hello, heartbeat, metrics) over the real endpoint with
/// its own enrolment token, heartbeats and metrics on the intervals the welcome names, and the real agent's
/// reconnect policy. It runs no commands: the gateway never dispatches any in this benchmark.
/// </summary>
public sealed class SimulatedAgent(AgentFleet fleet, string serverId, string token, Random random)
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15); // AgentOptions.ConnectTimeout
    private readonly AgentReconnectBackoff _backoff = new(AgentReconnectBackoff.DefaultMin, AgentReconnectBackoff.DefaultMax, random);
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var welcomedAt = 0L;
            try
            {
                using var socket = new ClientWebSocket();
                socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
                socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    connecting.CancelAfter(ConnectTimeout);
                    await socket.ConnectAsync(fleet.Url, fleet.Invoker, connecting.Token);
                    await SendAsync(socket, new HelloFrame(serverId, AgentProtocol.Version, "bench-sim", "bench", ["uptime"]), connecting.Token);
                    var buffer = new byte[4096];
                    if (await ReceiveAsync(socket, buffer, connecting.Token) is not WelcomeFrame welcome)
                        throw new WebSocketException("no welcome");
                    welcomedAt = Stopwatch.GetTimestamp();
                    fleet.OnWelcomed();
                    await ServeAsync(socket, welcome, buffer, stop);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                if (welcomedAt == 0) Interlocked.Increment(ref fleet.FailedAttempts);
            }
            finally
            {
                if (welcomedAt != 0) fleet.OnLost();
            }

            if (stop.IsCancellationRequested) break;
            if (welcomedAt != 0 && Stopwatch.GetElapsedTime(welcomedAt) >= AgentReconnectBackoff.HealthyConnection) _backoff.Reset();
            try
            {
                await Task.Delay(_backoff.NextDelay(), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ServeAsync(ClientWebSocket socket, WelcomeFrame welcome, byte[] buffer, CancellationToken stop)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(stop);
        // Like the real agent: every frame after welcome is signed for this connection (the gateway refuses others).
        var signer = new AgentFrameSigner(AgentFrameKeys.Derive(token, serverId).ToGateway, serverId, welcome.ConnectionId ?? "", TimeProvider.System);
        var heartbeats = EveryAsync(TimeSpan.FromSeconds(Math.Max(welcome.HeartbeatSeconds, 1)), async (seq, due) =>
        {
            await SendAsync(socket, signer.Sign(new HeartbeatFrame(seq, DateTimeOffset.UtcNow)), ending.Token);
            fleet.OnHeartbeat(due);
        }, ending.Token);
        var metrics = EveryAsync(TimeSpan.FromSeconds(Math.Max(welcome.MetricsSeconds, 1)), async (seq, _) =>
        {
            var samples = Samples(seq);
            await SendAsync(socket, signer.Sign(new MetricsFrame(DateTimeOffset.UtcNow, samples)), ending.Token);
            Interlocked.Increment(ref fleet.MetricsFramesSent);
            Interlocked.Add(ref fleet.MetricSamplesSent, samples.Count);
        }, ending.Token);
        try
        {
            while (await ReceiveAsync(socket, buffer, ending.Token) is not null)
            {
                // The gateway sends nothing else unprompted; a dispatch would be a surprise, and ignored.
            }
        }
        finally
        {
            await ending.CancelAsync();
            socket.Abort();
            await Task.WhenAll(heartbeats, metrics).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Runs <paramref name="send"/> every <paramref name="interval"/> on a fixed schedule, passing when each was due.</summary>
    private static async Task EveryAsync(TimeSpan interval, Func<long, long, Task> send, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        for (var seq = 1L; !cancellationToken.IsCancellationRequested; seq++)
        {
            var due = start + (long)(interval.TotalSeconds * seq * Stopwatch.Frequency);
            var wait = TimeSpan.FromSeconds((double)(due - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            await send(seq, due);
        }
    }

    private async Task SendAsync(ClientWebSocket socket, AgentFrame frame, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(AgentProtocol.Serialize(frame));
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private static async Task<AgentFrame?> ReceiveAsync(ClientWebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var used = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(used), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            used += result.Count;
            if (result.EndOfMessage) return AgentProtocol.Deserialize(buffer.AsSpan(0, used));
            if (used == buffer.Length) throw new WebSocketException("frame larger than the simulated agent's buffer");
        }
    }

    private static IReadOnlyList<MetricSample> Samples(long seq) =>
    [
        new("cpu_usage_percent", new Dictionary<string, string>(), 10 + (seq % 7)),
        new("memory_used_bytes", new Dictionary<string, string>(), 1.5e9),
        new("load1", new Dictionary<string, string>(), 0.4),
        new("disk_used_percent", new Dictionary<string, string> { ["mount"] = "/" }, 41),
        new("disk_used_percent", new Dictionary<string, string> { ["mount"] = "/var" }, 63),
        new("net_rx_bytes", new Dictionary<string, string> { ["iface"] = "eth0" }, 1e6 * seq),
    ];
}
