using System.Net.WebSockets;
using System.Text;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;

namespace ChatOps.Benchmarks.Agents;

/// <summary>
/// An agent connection that sends metrics when told to (and heartbeats on its own, so the gateway keeps it):
/// the real endpoint, token and frames, for measuring what one metrics frame sets off.
/// </summary>
public sealed class ProbeAgent : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _background = Task.CompletedTask;
    private AgentFrameSigner? _signer;

    public static async Task<ProbeAgent> ConnectAsync(Uri url, HttpMessageInvoker invoker, string serverId, string token)
    {
        var agent = new ProbeAgent();
        agent._socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        await agent._socket.ConnectAsync(url, invoker, CancellationToken.None);
        await agent.SendAsync(new HelloFrame(serverId, AgentProtocol.Version, "bench-probe", "bench", ["uptime"]));
        var buffer = new byte[4096];
        var result = await agent._socket.ReceiveAsync(buffer, CancellationToken.None);
        if (AgentProtocol.Deserialize(buffer.AsSpan(0, result.Count)) is not WelcomeFrame welcome)
            throw new InvalidOperationException($"{serverId}: no welcome");
        // Like the real agent: every frame after welcome is signed for this connection (the gateway refuses others).
        agent._signer = new AgentFrameSigner(AgentFrameKeys.Derive(token, serverId).ToGateway, serverId, welcome.ConnectionId ?? "", TimeProvider.System);
        agent._background = agent.BackgroundAsync(TimeSpan.FromSeconds(welcome.HeartbeatSeconds), buffer);
        return agent;
    }

    public Task SendMetricsAsync(DateTimeOffset at, IReadOnlyList<MetricSample> samples) => SendAsync(new MetricsFrame(at, samples));

    private async Task BackgroundAsync(TimeSpan heartbeat, byte[] buffer)
    {
        var receiving = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested && (await _socket.ReceiveAsync(buffer, _stop.Token)).MessageType != WebSocketMessageType.Close)
            {
                // nothing to do with what the gateway says
            }
        });
        using var timer = new PeriodicTimer(heartbeat);
        for (var seq = 1L; await timer.WaitForNextTickAsync(_stop.Token); seq++) await SendAsync(new HeartbeatFrame(seq, DateTimeOffset.UtcNow));
        await receiving;
    }

    private async Task SendAsync(AgentFrame frame)
    {
        var bytes = Encoding.UTF8.GetBytes(AgentProtocol.Serialize(_signer?.Sign(frame) ?? frame));
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        await _background.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _stop.Dispose();
    }
}
