using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using ChatOps.Core.Agents;

namespace ChatOps.Agent.Tests.Support;

/// <summary>
/// A stand-in for the gateway's <c>/agents/connect</c>: an HttpListener on a free loopback port
/// that checks the bearer token (401 otherwise) and hands each accepted WebSocket to the test.
/// Like the real gateway, once it has welcomed a session it signs the dispatches and cancels it sends and
/// insists that everything the agent sends is signed (on the clock given, the agent's).
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private int _connections;

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly HttpListener _listener = new();
    private readonly Channel<GatewaySession> _sessions = Channel.CreateUnbounded<GatewaySession>();
    private readonly ConcurrentQueue<GatewaySession> _all = new();
    private readonly Task _accepting;
    private int _refusedUpgrades;

    public TestGateway(string token, TimeProvider? time = null)
    {
        Token = token;
        _time = time ?? TimeProvider.System;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public string Token { get; }

    public int Port { get; }

    public string Url => $"ws://127.0.0.1:{Port}/agents/connect";

    public int RefusedUpgrades => Volatile.Read(ref _refusedUpgrades);

    /// <summary>Waits for the next agent connection.</summary>
    public async Task<GatewaySession> NextSessionAsync() =>
        await _sessions.Reader.ReadAsync().AsTask().WaitAsync(Patience);

    /// <summary>Waits for the next connection, reads its hello and answers welcome.</summary>
    public async Task<(GatewaySession Session, HelloFrame Hello)> NextWelcomedSessionAsync(int heartbeatSeconds = 15, int metricsSeconds = 30)
    {
        var session = await NextSessionAsync();
        var hello = Assert.IsType<HelloFrame>(await session.ReceiveAsync());
        var connectionId = $"conn-{Interlocked.Increment(ref _connections)}";
        await session.SendAsync(new WelcomeFrame(hello.ServerId, "node-1", AgentProtocol.Version, heartbeatSeconds, metricsSeconds) { ConnectionId = connectionId });
        session.StartSigning(AgentFrameKeys.Derive(Token, hello.ServerId), hello.ServerId, connectionId, _time);
        return (session, hello);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _all)
        {
            session.Drop();
        }

        try
        {
            // Closing races with connections the agent is closing from its side; either way it is over.
            _listener.Stop();
            _listener.Close();
            await _accepting;
        }
        catch (Exception)
        {
            // The listener was closed under the accept loop; that is how it ends.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }

            if (context.Request.Url?.AbsolutePath != "/agents/connect" || !context.Request.IsWebSocketRequest)
            {
                context.Response.StatusCode = 404;
                context.Response.Close();
                continue;
            }

            var authorization = context.Request.Headers["Authorization"];
            if (authorization != $"Bearer {Token}")
            {
                Interlocked.Increment(ref _refusedUpgrades);
                context.Response.StatusCode = 401;
                context.Response.Close();
                continue;
            }

            var webSocket = await context.AcceptWebSocketAsync(subProtocol: null);
            var session = new GatewaySession(webSocket.WebSocket, authorization, context);
            _all.Enqueue(session);
            await _sessions.Writer.WriteAsync(session);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>One accepted agent WebSocket, seen from the server side.</summary>
public sealed class GatewaySession(WebSocket socket, string authorization, HttpListenerContext context)
{
    /// <summary>Cuts the TCP connection without a close handshake, like a crashed gateway node.</summary>
    public void Drop()
    {
        Socket.Abort();
        try
        {
            context.Response.Abort();
        }
        catch (ObjectDisposedException)
        {
            // Already closed by the agent.
        }
    }

    public WebSocket Socket { get; } = socket;

    /// <summary>Signs for this connection with the agent's key (after welcome); tests use it to build frames the real gateway never would.</summary>
    public AgentFrameSigner? Signer { get; private set; }

    /// <summary>The connection id this session's welcome named.</summary>
    public string? ConnectionId { get; private set; }

    private AgentFrameKeys? Keys { get; set; }

    private AgentFrameVerifier? Verifier { get; set; }

    internal void StartSigning(AgentFrameKeys keys, string serverId, string connectionId, TimeProvider time)
    {
        Keys = keys;
        ConnectionId = connectionId;
        Signer = new AgentFrameSigner(keys.ToAgent, serverId, connectionId, time);
        Verifier = new AgentFrameVerifier(keys.ToGateway, serverId, connectionId, new ReplayWindow(), time);
    }

    /// <summary>Signs <paramref name="payloadJson"/> as given, byte for byte (fuzzing the signed content).</summary>
    public Task SendSignedTextAsync(string payloadJson)
    {
        var bytes = Encoding.UTF8.GetBytes(payloadJson);
        var signed = new SignedFrame(Convert.ToBase64String(bytes), Convert.ToBase64String(Keys!.ToAgent.Compute(bytes)));
        return SendTextAsync(AgentProtocol.Serialize(signed));
    }

    /// <summary>Sends the frame as it is, signed or not.</summary>
    public Task SendUnsignedAsync(AgentFrame frame) => SendTextAsync(AgentProtocol.Serialize(frame));

    public string Authorization { get; } = authorization;

    /// <summary>The close status the agent sent, once <see cref="ReceiveAsync"/> saw its close.</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }

    /// <summary>Sends a frame as the gateway would: dispatch and cancel signed once the session is welcomed.</summary>
    public Task SendAsync(AgentFrame frame) =>
        SendTextAsync(AgentProtocol.Serialize(frame is DispatchFrame or CancelFrame && Signer is not null ? Signer.Sign(frame) : frame));

    public Task SendTextAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WaitAsync(TestGateway.Patience);

    /// <summary>The next frame from the agent; null when the agent closed the connection.</summary>
    public async Task<AgentFrame?> ReceiveAsync()
    {
        var buffer = new byte[AgentProtocol.MaxFrameBytes + 1];
        var count = 0;
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None).AsTask().WaitAsync(TestGateway.Patience);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                CloseStatus = Socket.CloseStatus;
                if (Socket.State == WebSocketState.CloseReceived)
                {
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                }

                return null;
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                var frame = AgentProtocol.Deserialize(buffer.AsSpan(0, count));
                if (Verifier is null)
                {
                    return frame;
                }

                // After welcome the agent signs everything it sends; anything else is a failure of the test.
                var verification = Verifier.Verify(frame);
                return verification.Frame ?? throw new InvalidOperationException($"the agent sent a frame that fails verification ({verification.Refusal}): {verification.Reason}");
            }
        }
    }

    /// <summary>Reads frames until one of type <typeparamref name="T"/> matching <paramref name="match"/>; others go to <paramref name="seen"/>.</summary>
    public async Task<T> ReceiveUntilAsync<T>(Func<T, bool>? match = null, List<AgentFrame>? seen = null)
        where T : AgentFrame
    {
        while (true)
        {
            var frame = await ReceiveAsync() ?? throw new InvalidOperationException($"the agent closed the connection before sending a {typeof(T).Name}");
            if (frame is T wanted && (match?.Invoke(wanted) ?? true))
            {
                return wanted;
            }

            seen?.Add(frame);
        }
    }

    /// <summary>Reads (and drops) frames until the agent closes; returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveCloseAsync()
    {
        try
        {
            while (await ReceiveAsync() is not null)
            {
            }
        }
        catch (WebSocketException)
        {
            // The agent aborted instead of closing.
        }

        return CloseStatus;
    }
}
