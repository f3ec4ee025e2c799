using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using ChatOps.Core.Agents;
using ChatOps.Core.Observability;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Connection;

/// <summary>
/// One WebSocket session with the gateway: hello/welcome, then heartbeats, metrics, dispatches and
/// cancels until either side ends it. Every outgoing frame goes through one channel and one send
/// loop, so frames never interleave on the socket.
/// </summary>
internal sealed class AgentConnection
{
    private const int DefaultHeartbeatSeconds = 15;
    private const int DefaultMetricsSeconds = 30;
    private const int MaxCommandIdLength = 200;
    // Limits on waiting for the peer's network I/O run on the real clock: a socket does not follow
    // an injected (test) clock. The protocol's own schedule (heartbeats, metrics) uses TimeProvider.
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private static readonly string AgentVersion =
        typeof(AgentConnection).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly AgentServices _services;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<AgentFrame> _outbox = Channel.CreateUnbounded<AgentFrame>(new() { SingleReader = true });
    private readonly RunningCommands _commands;
    private readonly AgentFrameKeys _keys;
    private AgentFrameSigner? _signer;
    private AgentFrameVerifier? _verifier;
    private volatile bool _stopping;

    public AgentConnection(AgentServices services)
    {
        _services = services;
        _logger = services.Logger;
        _time = services.Time;
        _commands = new RunningCommands(services.Runner, services.Logger);
        _keys = AgentFrameKeys.Derive(services.Options.Token, services.Options.ServerId);
    }

    /// <summary>Connects and serves until the connection ends or <paramref name="stop"/> fires.</summary>
    public async Task<ConnectionEnd> RunAsync(CancellationToken stop)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {_services.Options.Token}");
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(20);
        (_services.Tls ?? AgentTls.SystemDefaults).Apply(socket.Options);

        var welcome = await HandshakeAsync(socket, stop);
        if (welcome is null)
        {
            socket.Abort();
            return new ConnectionEnd(false, TimeSpan.Zero);
        }

        // Everything from here on is signed for this connection, both ways.
        _signer = new AgentFrameSigner(_keys.ToGateway, _services.Options.ServerId, welcome.ConnectionId!, _time);
        _verifier = new AgentFrameVerifier(_keys.ToAgent, _services.Options.ServerId, welcome.ConnectionId!, _services.ServerNonces, _time);
        var connectedAt = _time.GetTimestamp();
        _logger.LogInformation("connected to {Url} as {ServerId} (gateway node {NodeId}); heartbeat every {Heartbeat} s, metrics every {Metrics} s",
            _services.Options.ServerUrl, _services.Options.ServerId, LogText.Quote(welcome.NodeId), welcome.HeartbeatSeconds, welcome.MetricsSeconds);

        using var abort = new CancellationTokenSource();
        var sending = SendLoopAsync(socket, abort.Token);
        var heartbeats = HeartbeatLoopAsync(Positive(welcome.HeartbeatSeconds, DefaultHeartbeatSeconds), abort.Token);
        var metrics = MetricsLoopAsync(Positive(welcome.MetricsSeconds, DefaultMetricsSeconds), abort.Token);
        var receiving = ReceiveLoopAsync(socket, abort.Token);
        // Linked so that its registration on the long-lived stop token goes away with this connection.
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var stopped = Task.Delay(Timeout.Infinite, stopWatch.Token);

        var first = await Task.WhenAny(receiving, sending, stopped);
        if (first == stopped)
        {
            await StopCleanlyAsync(socket, sending, receiving);
        }
        else
        {
            var reason = first == receiving ? await receiving : "sending failed";
            _logger.LogWarning("connection to {Url} ended: {Reason}", _services.Options.ServerUrl, reason);
            if (_commands.Count > 0)
            {
                _logger.LogWarning("killing {Count} running command(s): their connection is gone", _commands.Count);
            }

            _commands.CancelAll();
            await WaitAsync(_commands.WhenAllEnded(), ShutdownGrace);
        }

        _outbox.Writer.TryComplete();
        await abort.CancelAsync();
        socket.Abort();
        await Task.WhenAll(Quietly(sending), Quietly(heartbeats), Quietly(metrics), Quietly(receiving));
        return new ConnectionEnd(true, _time.GetElapsedTime(connectedAt));
    }

    /// <summary>Sends hello and waits for welcome; null (after logging why) when the session cannot start.</summary>
    private async Task<WelcomeFrame?> HandshakeAsync(ClientWebSocket socket, CancellationToken stop)
    {
        var options = _services.Options;
        using var timeout = new CancellationTokenSource(options.ConnectTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stop);
        try
        {
            await socket.ConnectAsync(new Uri(options.ServerUrl), linked.Token);
            var hello = new HelloFrame(options.ServerId, AgentProtocol.Version, AgentVersion, Environment.MachineName, _services.Actions);
            await SendFrameAsync(socket, hello, linked.Token);

            var buffer = new byte[AgentProtocol.MaxFrameBytes];
            var (frame, problem) = await ReceiveFrameAsync(socket, buffer, linked.Token);
            switch (frame)
            {
                case WelcomeFrame welcome when welcome.ProtocolVersion != AgentProtocol.Version:
                    _logger.LogError("server speaks agent protocol {Theirs}, this agent {Ours}; not connecting", welcome.ProtocolVersion, AgentProtocol.Version);
                    await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "protocol version mismatch");
                    return null;
                case WelcomeFrame welcome when !string.Equals(welcome.ServerId, options.ServerId, StringComparison.Ordinal):
                    _logger.LogError("server welcomed server id {Theirs} but this agent is {Ours}; not connecting", LogText.Quote(welcome.ServerId), options.ServerId);
                    await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "server id mismatch");
                    return null;
                case WelcomeFrame welcome when string.IsNullOrEmpty(welcome.ConnectionId) || welcome.ConnectionId.Length > MaxCommandIdLength:
                    _logger.LogError("server's welcome names no usable connection id, so frames cannot be signed for this connection; not connecting");
                    await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "welcome without a connection id");
                    return null;
                case WelcomeFrame welcome:
                    return welcome;
                case ErrorFrame error:
                    _logger.LogError("server refused the agent: {Message}", LogText.Quote(error.Message));
                    await CloseQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure, "refused");
                    return null;
                case null when problem is null:
                    _logger.LogWarning("server closed the connection during the handshake");
                    return null;
                default:
                    var why = problem ?? new FrameProblem(WebSocketCloseStatus.ProtocolError, $"expected welcome, got {FrameName(frame)}");
                    _logger.LogError("bad handshake from server: {Problem}", why.Description);
                    await CloseQuietlyAsync(socket, why.Status, why.Description);
                    return null;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("no welcome from {Url} within {Timeout}", options.ServerUrl, options.ConnectTimeout);
            return null;
        }
        catch (WebSocketException e) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            _logger.LogError("server {Url} refused the agent token (HTTP {Status}); check --token for server {ServerId}: {Error}",
                options.ServerUrl, (int)socket.HttpStatusCode, options.ServerId, e.Message);
            return null;
        }
        catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException)
        {
            _logger.LogWarning("cannot connect to {Url}: {Error}", options.ServerUrl, e.Message);
            return null;
        }
    }

    private async Task StopCleanlyAsync(ClientWebSocket socket, Task sending, Task<string> receiving)
    {
        _stopping = true;
        if (_commands.Count > 0)
        {
            _logger.LogInformation("stopping: cancelling {Count} running command(s)", _commands.Count);
        }

        _commands.CancelAll();
        await WaitAsync(_commands.WhenAllEnded(), ShutdownGrace);

        // Let the results of the cancelled commands go out before saying goodbye.
        _outbox.Writer.TryComplete();
        await WaitAsync(sending, ShutdownGrace);
        try
        {
            using var closing = new CancellationTokenSource(CloseGrace);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "agent stopping", closing.Token);
            await WaitAsync(receiving, CloseGrace);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            _logger.LogDebug("close handshake did not finish: {Error}", e.Message);
        }

        _logger.LogInformation("disconnected from {Url}: agent stopping", _services.Options.ServerUrl);
    }

    /// <summary>Reads frames until the socket closes; returns why it ended.</summary>
    private async Task<string> ReceiveLoopAsync(ClientWebSocket socket, CancellationToken abort)
    {
        var buffer = new byte[AgentProtocol.MaxFrameBytes];
        try
        {
            while (true)
            {
                var (frame, problem) = await ReceiveFrameAsync(socket, buffer, abort);
                if (frame is null && problem is null)
                {
                    await CloseQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure, "closed by server");
                    return $"closed by server ({socket.CloseStatus} {LogText.Quote(socket.CloseStatusDescription)})";
                }

                problem ??= Handle(frame!);
                if (problem is not null)
                {
                    // The server is trusted; a frame we cannot use is a bug on one side, and guessing
                    // past it could run the wrong thing. Say so loudly and start over.
                    _logger.LogError("protocol error from server, closing the connection: {Problem}", problem.Description);
                    await CloseQuietlyAsync(socket, problem.Status, problem.Description);
                    return $"protocol error: {problem.Description}";
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return "aborted";
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            return $"connection lost: {e.Message}";
        }
    }

    /// <summary>
    /// Acts on one server frame; returns a problem when the frame has no place here. Dispatch and cancel count
    /// only when signed for this connection: an unsigned, wrongly signed, expired or replayed one runs nothing,
    /// is not answered (its command id is not trusted), and ends the connection.
    /// </summary>
    private FrameProblem? Handle(AgentFrame frame)
    {
        switch (frame)
        {
            case SignedFrame signed:
                var verification = _verifier!.Verify(signed);
                if (!verification.Verified)
                {
                    return new FrameProblem(WebSocketCloseStatus.PolicyViolation, $"refused a signed frame ({verification.Refusal}): {verification.Reason}");
                }

                return HandleVerified(verification.Frame!);
            case ErrorFrame:
                return HandleVerified(frame);
            case DispatchFrame or CancelFrame:
                return new FrameProblem(WebSocketCloseStatus.PolicyViolation, $"refused an unsigned {FrameName(frame)} frame: the server signs every dispatch and cancel");
            default:
                return new FrameProblem(WebSocketCloseStatus.ProtocolError, $"unexpected {FrameName(frame)} frame from server");
        }
    }

    /// <summary>Acts on a frame that is signed for this connection, or an error frame (only logged).</summary>
    private FrameProblem? HandleVerified(AgentFrame frame)
    {
        switch (frame)
        {
            case DispatchFrame dispatch:
                if (string.IsNullOrEmpty(dispatch.CommandId) || dispatch.CommandId.Length > MaxCommandIdLength || string.IsNullOrEmpty(dispatch.Action))
                {
                    return new FrameProblem(WebSocketCloseStatus.InvalidPayloadData, "dispatch without a usable commandId or action");
                }

                if (_stopping)
                {
                    Enqueue(new RejectedFrame(dispatch.CommandId, RejectReasons.Busy, "the agent is stopping"));
                    return null;
                }

                // The admission and the run that follows belong to the command's trace (from the gateway).
                using (var span = ChatOpsTracing.StartFrom("agent admit", ActivityKind.Consumer, dispatch.TraceParent))
                {
                    span?.SetTag("chatops.command_id", dispatch.CommandId);
                    span?.SetTag("chatops.action", dispatch.Action);
                    Admit(dispatch);
                }

                return null;
            case CancelFrame cancel:
                if (!_commands.Cancel(cancel.CommandId ?? ""))
                {
                    _logger.LogInformation("cancel for command {CommandId}, which is not running here", LogText.Quote(cancel.CommandId));
                }
                else
                {
                    _logger.LogInformation("cancelling command {CommandId} at the server's request", LogText.Quote(cancel.CommandId));
                }

                return null;
            case ErrorFrame error:
                _logger.LogError("server reported an error: {Message}", LogText.Quote(error.Message));
                return null;
            default:
                return new FrameProblem(WebSocketCloseStatus.ProtocolError, $"unexpected {FrameName(frame)} frame from server");
        }
    }

    private void Admit(DispatchFrame dispatch)
    {
        var decision = _services.Guard.Admit(dispatch);
        if (decision.Accepted)
        {
            _commands.Start(dispatch, decision, Enqueue);
        }
        else
        {
            Activity.Current?.SetStatus(ActivityStatusCode.Error, decision.RejectReason);
            Enqueue(new RejectedFrame(dispatch.CommandId, decision.RejectReason!, decision.Message!));
        }
    }

    private async Task SendLoopAsync(ClientWebSocket socket, CancellationToken abort)
    {
        // Signed here, in the one loop that sends, so expiries go out in order.
        await foreach (var frame in _outbox.Reader.ReadAllAsync(abort))
        {
            await SendFrameAsync(socket, _signer!.Sign(frame), abort, FrameName(frame));
        }
    }

    private async Task HeartbeatLoopAsync(int seconds, CancellationToken abort)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), _time);
        long seq = 0;
        while (await timer.WaitForNextTickAsync(abort))
        {
            Enqueue(new HeartbeatFrame(++seq, _time.GetUtcNow()));
        }
    }

    private async Task MetricsLoopAsync(int seconds, CancellationToken abort)
    {
        // One batch at once, so `status` shows a fresh agent's metrics without waiting a whole interval.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), _time);
        do
        {
            try
            {
                Enqueue(new MetricsFrame(_time.GetUtcNow(), _services.Metrics.Collect()));
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "collecting metrics failed; trying again next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(abort));
    }

    private void Enqueue(AgentFrame frame)
    {
        if (!_outbox.Writer.TryWrite(frame))
        {
            _logger.LogDebug("dropped a {Frame} frame: the connection is closing", FrameName(frame));
        }
    }

    private async Task SendFrameAsync(ClientWebSocket socket, AgentFrame frame, CancellationToken cancel, string? name = null)
    {
        var bytes = Encoding.UTF8.GetBytes(AgentProtocol.Serialize(frame));
        if (bytes.Length > AgentProtocol.MaxFrameBytes)
        {
            // Output chunks are sized far below the limit, so this is a bug; the server would close on it.
            _logger.LogError("not sending a {Frame} frame of {Bytes} bytes: over the {Limit}-byte frame limit", name ?? FrameName(frame), bytes.Length, AgentProtocol.MaxFrameBytes);
            return;
        }

        await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancel);
    }

    /// <summary>Reads one whole message: a frame, a problem, or (both null) a close from the server.</summary>
    private static async Task<(AgentFrame? Frame, FrameProblem? Problem)> ReceiveFrameAsync(ClientWebSocket socket, byte[] buffer, CancellationToken cancel)
    {
        var count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                return (null, new FrameProblem(WebSocketCloseStatus.MessageTooBig, $"frame larger than {AgentProtocol.MaxFrameBytes} bytes"));
            }

            var result = await socket.ReceiveAsync(buffer.AsMemory(count), cancel);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (null, null);
            }

            if (result.MessageType != WebSocketMessageType.Text)
            {
                return (null, new FrameProblem(WebSocketCloseStatus.InvalidMessageType, "binary frame; the protocol is JSON text"));
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                break;
            }
        }

        try
        {
            return (AgentProtocol.Deserialize(buffer.AsSpan(0, count)), null);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return (null, new FrameProblem(WebSocketCloseStatus.InvalidPayloadData, $"malformed frame: {e.Message.ReplaceLineEndings(" ")}"));
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket, WebSocketCloseStatus status, string description)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(CloseGrace);
            // Close reasons are limited to 123 bytes by RFC 6455.
            var reason = description.Length > 100 ? description[..100] : description;
            await socket.CloseOutputAsync(status, reason, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer is gone already; nothing left to tell it.
        }
    }

    private static string FrameName(AgentFrame? frame) => AgentFrameNames.Of(frame);

    private static int Positive(int seconds, int fallback) => seconds is > 0 and <= 3600 ? seconds : fallback;

    private static async Task WaitAsync(Task task, TimeSpan limit)
    {
        try
        {
            await task.WaitAsync(limit);
        }
        catch (Exception)
        {
            // Best effort while shutting down; the caller aborts what is left.
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // These loops end by cancellation or a dead socket once the connection is over.
        }
    }

    private sealed record FrameProblem(WebSocketCloseStatus Status, string Description);
}

/// <summary>How a connection ended: whether the handshake succeeded, and how long it was up.</summary>
internal readonly record struct ConnectionEnd(bool Welcomed, TimeSpan Lasted);
