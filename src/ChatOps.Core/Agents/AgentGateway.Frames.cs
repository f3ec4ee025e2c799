using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Agents;

public sealed partial class AgentGateway
{
    /// <summary>A metric batch is bounded so a misbehaving agent cannot flood the metrics pipeline.</summary>
    private const int MaxSamplesPerBatch = 512;

    private async Task OnGatewayMessageAsync(string json)
    {
        GatewayMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<GatewayMessage>(json, ChatOpsJson.Options);
        }
        catch (JsonException ex)
        {
            LogBadGatewayMessage(ex.Message);
            return;
        }

        switch (message)
        {
            case GatewayDispatch dispatch:
                await DispatchAsync(dispatch, CancellationToken.None);
                break;
            case GatewayCancel cancel when _agents.TryGetValue(cancel.ServerId, out var live) && live.InFlight.ContainsKey(cancel.CommandId):
                await live.SendAsync(new CancelFrame(cancel.CommandId), CancellationToken.None);
                break;
        }
    }

    private async Task DispatchAsync(GatewayDispatch dispatch, CancellationToken cancellationToken)
    {
        using var span = ChatOpsTracing.StartFrom("agent dispatch", ActivityKind.Producer, dispatch.TraceParent);
        span?.SetTag("chatops.command_id", dispatch.CommandId);
        span?.SetTag("chatops.server_id", dispatch.ServerId);
        // What the agent and the results continue: this span, else the router's.
        dispatch = dispatch with { TraceParent = ChatOpsTracing.CurrentTraceParent() ?? dispatch.TraceParent };
        if (!_agents.TryGetValue(dispatch.ServerId, out var live))
        {
            await events.FailedAsync(new CommandFailed(dispatch.CommandId, dispatch.ServerId, FailureReasons.AgentOffline,
                $"The agent on `{dispatch.ServerId}` went offline before #{dispatch.CommandId} could be sent; it was not run.", dispatch.ReplyTo), cancellationToken);
            return;
        }

        // Fencing at the gateway too: a router that paused past its lease carries an older token.
        var highest = _highestFence.AddOrUpdate(dispatch.ServerId, dispatch.FencingToken, (_, seen) => Math.Max(seen, dispatch.FencingToken));
        if (dispatch.FencingToken < highest)
        {
            LogStaleFence(dispatch.CommandId, dispatch.FencingToken, highest);
            await events.FailedAsync(new CommandFailed(dispatch.CommandId, dispatch.ServerId, FailureReasons.AgentRefused,
                $"#{dispatch.CommandId} was refused: its lock on `{dispatch.ServerId}` expired and another command took it (stale fencing token {dispatch.FencingToken} < {highest}).", dispatch.ReplyTo), cancellationToken);
            return;
        }

        live.InFlight[dispatch.CommandId] = new InFlightCommand(dispatch);
        try
        {
            await live.SendAsync(new DispatchFrame(dispatch.CommandId, dispatch.Action, dispatch.Args, dispatch.Positional,
                dispatch.FencingToken, dispatch.TimeoutMs, dispatch.IssuedAt, dispatch.ExpiresAt) { TraceParent = dispatch.TraceParent }, cancellationToken);
            LogSentToAgent(dispatch.CommandId, dispatch.ServerId, live.Session.ConnectionId);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            if (live.InFlight.TryRemove(dispatch.CommandId, out _))
                await events.FailedAsync(new CommandFailed(dispatch.CommandId, dispatch.ServerId, FailureReasons.AgentDisconnected,
                    $"The agent on `{dispatch.ServerId}` disconnected before #{dispatch.CommandId} could be sent; it was not run.", dispatch.ReplyTo), cancellationToken);
        }
    }

    /// <summary>
    /// A span for an agent's report on a command, in the command's trace: the agent's own span when the
    /// frame names it (results), else the gateway's dispatch span. Heartbeats and metrics get none.
    /// </summary>
    private static Activity? StartFrameSpan(LiveAgent live, AgentFrame frame)
    {
        var (commandId, name) = frame switch
        {
            AcceptedFrame f => (f.CommandId, "agent accepted"),
            RejectedFrame f => (f.CommandId, "agent rejected"),
            ResultFrame f => (f.CommandId, "agent result"),
            _ => (null, null),
        };
        if (commandId is null || !live.InFlight.TryGetValue(commandId, out var command)) return null;
        var span = ChatOpsTracing.StartFrom(name!, ActivityKind.Consumer, (frame as ResultFrame)?.TraceParent ?? command.Dispatch.TraceParent);
        span?.SetTag("chatops.command_id", commandId);
        span?.SetTag("chatops.server_id", live.Session.ServerId);
        return span;
    }

    private async Task OnMetricsAsync(IAgentSession session, MetricsFrame metrics, CancellationToken cancellationToken)
    {
        var samples = metrics.Samples.Take(MaxSamplesPerBatch).ToList();
        if (samples.Count < metrics.Samples.Count) LogMetricsTruncated(session.ServerId, metrics.Samples.Count);
        // The server's clock stamps the batch: an agent's clock may be wrong, and its claimed time is not trusted for TTLs.
        var snapshot = new MetricSnapshot(session.ServerId, time.GetUtcNow(), samples);
        try
        {
            await bus.PublishAsync(Topics.Metrics, Envelope.Create(EventTypes.MetricsReported, session.ServerId, new MetricsReported(snapshot), snapshot.At), cancellationToken);
        }
        catch (BusUnavailableException ex)
        {
            LogEventNotPublished(EventTypes.MetricsReported, session.ServerId, ex.Message);
        }
    }

    private async Task OnRejectedAsync(IAgentSession session, RejectedFrame rejected, InFlightCommand command, CancellationToken cancellationToken)
    {
        var reason = TextHygiene.Escape(rejected.Message.Length > 500 ? rejected.Message[..500] : rejected.Message);
        await audit.RecordAsync($"agent:{session.ServerId}", "agent.refused", rejected.CommandId, TextHygiene.Escape(rejected.Reason), reason, cancellationToken);
        await events.FailedAsync(new CommandFailed(rejected.CommandId, session.ServerId, FailureReasons.AgentRefused,
            $"The agent on `{session.ServerId}` refused #{rejected.CommandId}: {reason}", command.Dispatch.ReplyTo), cancellationToken);
    }

    private async Task OnOutputAsync(IAgentSession session, OutputFrame output, InFlightCommand command, CancellationToken cancellationToken)
    {
        if (command.Truncated) return;
        var bytes = Encoding.UTF8.GetByteCount(output.Text);
        command.OutputBytes += bytes;
        var text = output.Text;
        if (command.OutputBytes > _options.MaxOutputBytesPerCommand)
        {
            command.Truncated = true;
            text = $"[output truncated by the gateway after {_options.MaxOutputBytesPerCommand} bytes]";
        }

        var stream = output.Stream == "stderr" ? "stderr" : "stdout";
        await events.PublishAsync(EventTypes.CommandOutput, session.ServerId,
            new CommandOutput(output.CommandId, session.ServerId, output.Seq, stream, text, command.Dispatch.ReplyTo), cancellationToken);
    }

    private async Task OnUnassignedAsync(IAgentSession session, AgentFrame frame, CancellationToken cancellationToken)
    {
        var commandId = frame switch
        {
            AcceptedFrame f => f.CommandId,
            RejectedFrame f => f.CommandId,
            OutputFrame f => f.CommandId,
            ResultFrame f => f.CommandId,
            _ => "?",
        };
        LogUnassigned(session.ServerId, commandId);
        await audit.RecordAsync($"agent:{session.ServerId}", "agent.unassigned_result", TextHygiene.Escape(commandId), "denied",
            "the agent reported on a command not dispatched to this connection", cancellationToken);
    }

    /// <summary>
    /// A frame that failed verification: nothing in it is acted on. Audited like an impersonation, then the
    /// agent is told why and the connection closed (its commands fail as disconnected): a channel that carries
    /// forged or replayed frames is not one to keep running commands on.
    /// </summary>
    private async Task OnUnverifiedAsync(IAgentSession session, AgentFrame frame, FrameVerification verification, CancellationToken cancellationToken)
    {
        LogUnverifiedFrame(session.ServerId, session.ConnectionId, AgentFrameNames.Of(frame), verification.Refusal!, verification.Reason!);
        await audit.RecordAsync($"agent:{session.ServerId}", "agent.unverified_frame", session.ServerId, "denied",
            TextHygiene.Escape($"{verification.Refusal}: {verification.Reason}"), cancellationToken);
        await RefuseAsync(session, $"frame refused ({verification.Refusal}): {verification.Reason}", cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {ServerId} ({ConnectionId}) sent a {FrameType} frame that failed verification ({Refusal}: {Reason}); refused, closing")]
    private partial void LogUnverifiedFrame(string serverId, string connectionId, string frameType, string refusal, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} sent to the agent on {ServerId} ({ConnectionId})")]
    private partial void LogSentToAgent(string commandId, string serverId, string connectionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {ServerId} connected ({ConnectionId}, version {Version})")]
    private partial void LogConnected(string serverId, string connectionId, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {ServerId} disconnected ({ConnectionId}): {Reason}")]
    private partial void LogDisconnected(string serverId, string connectionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent with a token for {ServerId} claimed to be {ClaimedId}; refused")]
    private partial void LogImpersonation(string serverId, string claimedId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {ServerId} sent {FrameType}, which agents may not send; closing")]
    private partial void LogProtocolViolation(string serverId, string frameType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {ServerId} reported on command {CommandId}, which was not dispatched to it; ignored")]
    private partial void LogUnassigned(string serverId, string commandId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatch of {CommandId} refused: fencing token {Token} is older than {Highest}")]
    private partial void LogStaleFence(string commandId, long token, long highest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {ServerId} sent {Count} samples in one batch; kept the first 512")]
    private partial void LogMetricsTruncated(string serverId, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unreadable gateway message ignored: {Error}")]
    private partial void LogBadGatewayMessage(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Type} for {Key} was not published: {Reason}")]
    private partial void LogEventNotPublished(string type, string key, string reason);
}
