using System.Net.WebSockets;
using System.Text;
using ChatOps.Core.Agents;

namespace ChatOps.Server.Agents;

/// <summary>An agent's WebSocket. Sends are serialised: frames must never interleave on the wire.</summary>
public sealed class WebSocketAgentSession(WebSocket socket, string serverId, string connectionId) : IAgentSession
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public string ConnectionId { get; } = connectionId;
    public string ServerId { get; } = serverId;

    public async Task SendAsync(AgentFrame frame, CancellationToken cancellationToken)
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

    public async Task CloseAsync(string reason, CancellationToken cancellationToken)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        var text = reason.Length > 120 ? reason[..120] : reason; // close reasons are limited to 123 bytes
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, text, cancellationToken);
        }
        catch (WebSocketException)
        {
            // Already gone: nothing left to tell.
        }
    }
}
