using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using ChatOps.Core.Agents;
using ChatOps.Core.Security;

namespace ChatOps.Server.Agents;

/// <summary>
/// <c>GET /agents/connect</c>: the agent WebSocket. Authentication is the bearer agent token, checked
/// before the upgrade; the agent's first frame must be hello for the server its token is bound to, and every
/// frame after it must be signed with the key derived from that token (checked by the gateway).
/// </summary>
public static partial class AgentEndpoint
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    // Heartbeats and metrics fit; one buffer per connection is reused for every frame (a large output frame
    // grows it up to AgentProtocol.MaxFrameBytes, and the grown one is let go after that frame).
    private const int ReceiveBufferBytes = 4096;

    public static IEndpointRouteBuilder MapAgentEndpoint(this IEndpointRouteBuilder app)
    {
        app.Map("/agents/connect", HandleAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext context, AgentGateway gateway, AgentClientCertificates clientCertificates, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        var logger = loggers.CreateLogger("ChatOps.Server.Agents.AgentEndpoint");
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var credential = await gateway.AuthenticateAsync(token, context.RequestAborted);
        if (credential is null)
        {
            LogRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", token is null ? "no bearer token" : "unknown or revoked token");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsJsonAsync(new { error = "unauthorized", message = "A valid agent token is required (Authorization: Bearer <token>)." });
            return;
        }

        if (clientCertificates.Enabled
            && clientCertificates.Check(credential.ServerId, await context.Connection.GetClientCertificateAsync(context.RequestAborted)) is { } refusal)
        {
            LogRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", refusal);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new { error = "client_certificate", message = "This agent's client certificate is missing or not the one pinned for its server." });
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { error = "websocket_required", message = "Agents connect with a WebSocket upgrade." });
            return;
        }

        // Derived now, from the bearer just verified: the token is stored nowhere on the server (see AgentFrameKeys).
        var keys = AgentFrameKeys.Derive(token!, credential.ServerId);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var session = new WebSocketAgentSession(socket, credential.ServerId, "c" + Secrets.NewShortId(10));
        var reason = "connection closed";
        var helloDone = false;
        // End the session when the host stops, or Kestrel waits its whole shutdown timeout for this
        // socket; the agent reconnects (to another node, or to this one once it is back).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            reason = await RunSessionAsync(socket, session, gateway, keys, logger, () => helloDone = true, stopping.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            reason = lifetime.ApplicationStopping.IsCancellationRequested ? "gateway stopping" : "connection lost";
        }
        finally
        {
            if (helloDone) await gateway.OnDisconnectedAsync(session, reason, CancellationToken.None);
        }
    }

    private static async Task<string> RunSessionAsync(WebSocket socket, WebSocketAgentSession session, AgentGateway gateway, AgentFrameKeys keys, ILogger logger, Action onHello, CancellationToken aborted)
    {
        var buffer = new ArrayBufferWriter<byte>(ReceiveBufferBytes);
        using (var helloWait = CancellationTokenSource.CreateLinkedTokenSource(aborted))
        {
            helloWait.CancelAfter(HelloTimeout);
            var first = await ReceiveFrameAsync(socket, session, buffer, logger, helloWait.Token);
            if (first is null) return "closed before hello";
            if (first is not HelloFrame hello)
            {
                await session.SendAsync(new ErrorFrame("the first frame must be hello"), aborted);
                await session.CloseAsync("the first frame must be hello", aborted);
                return "protocol violation";
            }

            if (!await gateway.OnHelloAsync(session, hello, keys, aborted)) return "refused at hello";
            onHello();
        }

        // One timer per connection, re-armed by every frame: silence longer than three heartbeats means the
        // agent (or the network) is gone. (A new linked source per frame cost an allocation and a timer each.)
        var idle = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        try
        {
            while (true)
            {
                if (idle.IsCancellationRequested)
                {
                    // It fired while the last frame was being handled: that was not silence from the agent.
                    idle.Dispose();
                    idle = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                }

                idle.CancelAfter(gateway.IdleTimeout);
                AgentFrame? frame;
                try
                {
                    frame = await ReceiveFrameAsync(socket, session, buffer, logger, idle.Token);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    return $"no heartbeat for {gateway.IdleTimeout.TotalSeconds:0} s";
                }

                if (frame is null) return "agent closed the connection";
                if (buffer.Capacity > 4 * ReceiveBufferBytes) buffer = new ArrayBufferWriter<byte>(ReceiveBufferBytes); // a large output frame: do not keep its buffer
                if (!await gateway.OnFrameAsync(session, frame, aborted)) return "protocol violation";
            }
        }
        finally
        {
            idle.Dispose();
        }
    }

    /// <summary>One whole frame, or null when the socket closed or the frame was refused (the agent is told why).</summary>
    private static async Task<AgentFrame?> ReceiveFrameAsync(WebSocket socket, WebSocketAgentSession session, ArrayBufferWriter<byte> buffer, ILogger logger, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        while (true)
        {
            var memory = buffer.GetMemory(ReceiveBufferBytes);
            var result = await socket.ReceiveAsync(memory, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            buffer.Advance(result.Count);
            if (buffer.WrittenCount > AgentProtocol.MaxFrameBytes)
            {
                LogBadFrame(logger, session.ServerId, $"frame larger than {AgentProtocol.MaxFrameBytes} bytes");
                await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "frame too large", cancellationToken);
                return null;
            }

            if (!result.EndOfMessage) continue;
            if (result.MessageType != WebSocketMessageType.Text)
            {
                await session.CloseAsync("binary frames are not part of the protocol", cancellationToken);
                return null;
            }

            try
            {
                return AgentProtocol.Deserialize(buffer.WrittenSpan);
            }
            catch (JsonException ex)
            {
                LogBadFrame(logger, session.ServerId, ex.Message);
                await session.SendAsync(new ErrorFrame("unreadable frame: " + ex.Message), cancellationToken);
                await session.CloseAsync("unreadable frame", cancellationToken);
                return null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent connection from {Remote} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {ServerId} sent a bad frame: {Reason}")]
    private static partial void LogBadFrame(ILogger logger, string serverId, string reason);
}
