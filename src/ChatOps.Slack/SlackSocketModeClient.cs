using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ChatOps.Slack.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack;

/// <summary>
/// Socket Mode: Slack's requests arrive over a WebSocket we open (<c>apps.connections.open</c> with
/// the app-level token), so no public URL is needed. Every envelope is acknowledged with its
/// <c>envelope_id</c> and handed to the same handlers as the HTTP endpoints (slash commands answer in
/// the acknowledgement's payload). A <c>disconnect</c> frame, a closed socket or an error leads to
/// a new connection, with backoff and jitter when connecting keeps failing.
/// </summary>
public sealed partial class SlackSocketModeClient : BackgroundService
{
    private const int MaxFrameBytes = 1024 * 1024;

    private readonly SlackWebApiClient _api;
    private readonly SlashCommandHandler _commands;
    private readonly SlackEventHandler _events;
    private readonly SlackInteractionHandler _interactions;
    private readonly SlackOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SlackSocketModeClient> _logger;

    internal SlackSocketModeClient(SlackWebApiClient api, SlashCommandHandler commands, SlackEventHandler events, SlackInteractionHandler interactions,
        SlackOptions options, TimeProvider time, ILogger<SlackSocketModeClient> logger)
    {
        _api = api;
        _commands = commands;
        _events = events;
        _interactions = interactions;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>How many connections were opened (for health checks and tests).</summary>
    public int Connections { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var url = await _api.OpenSocketModeConnectionAsync(stoppingToken);
                using var socket = new ClientWebSocket();
                socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
                await socket.ConnectAsync(url, stoppingToken);
                Connections++;
                failures = 0;
                LogConnected(Connections);
                var reason = await RunAsync(socket, stoppingToken);
                LogReconnecting(reason);
                continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or ChatOps.Core.Ports.ChatDeliveryException or HttpRequestException or IOException)
            {
                failures++;
                LogConnectionFailed(failures, ex.Message);
            }

            try
            {
                await Task.Delay(Backoff(failures), _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads envelopes until the connection ends; returns why it ended.</summary>
    private async Task<string> RunAsync(ClientWebSocket socket, CancellationToken stoppingToken)
    {
        using var sendLock = new SemaphoreSlim(1, 1);
        var inFlight = new List<Task>();
        var buffer = new byte[16 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                using var frame = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer, stoppingToken);
                    if (received.MessageType == WebSocketMessageType.Close) return "closed by Slack";
                    if (frame.Length + received.Count > MaxFrameBytes) return "frame larger than the limit";
                    frame.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);

                if (received.MessageType != WebSocketMessageType.Text) continue;
                using var document = ParseFrame(frame);
                if (document is null) continue;
                var envelope = document.RootElement;
                switch (envelope.String("type"))
                {
                    case "hello":
                        continue;
                    case "disconnect":
                        return "disconnect requested (" + (envelope.String("reason") ?? "no reason") + ")";
                    default:
                        inFlight.RemoveAll(t => t.IsCompleted);
                        if (Dispatch(socket, sendLock, envelope, stoppingToken) is { } work) inFlight.Add(work);
                        break;
                }
            }

            return "socket " + socket.State;
        }
        catch (WebSocketException ex)
        {
            return "socket error: " + ex.Message;
        }
        finally
        {
            // Acks still being written belong to this socket; let them finish or fail before it goes.
            await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Copies what is needed out of the frame (the document is disposed after this) and starts the work.</summary>
    private Task? Dispatch(ClientWebSocket socket, SemaphoreSlim sendLock, JsonElement envelope, CancellationToken stoppingToken)
    {
        var envelopeId = envelope.String("envelope_id");
        var type = envelope.String("type") ?? "";
        if (envelopeId is not { Length: > 0 and <= 128 })
        {
            LogBadEnvelope(type, "no envelope_id");
            return null;
        }

        var payload = envelope.Object("payload");
        var arrived = _time.GetTimestamp();
        switch (type)
        {
            case "events_api" when payload is { } p && p.String("type") == "event_callback" && SlackEvent.From(p, out _) is { } slackEvent:
                int? retry = envelope.TryGetProperty("retry_attempt", out var attempt) && attempt.ValueKind == JsonValueKind.Number ? attempt.GetInt32() : null;
                return AckThenAsync(socket, sendLock, envelopeId, stoppingToken, () => _events.AcceptAsync(slackEvent, retry, arrived));
            case "slash_commands" when payload is { } p && SlashCommand.From(key => p.String(key), out _) is { } command:
                var acceptsPayload = envelope.Bool("accepts_response_payload");
                return AnswerCommandAsync(socket, sendLock, envelopeId, command, acceptsPayload, arrived, stoppingToken);
            case "interactive" when payload is { } p && SlackInteraction.From(p, out _) is { } interaction:
                return AckThenAsync(socket, sendLock, envelopeId, stoppingToken, () => _interactions.AcceptAsync(interaction, arrived));
            default:
                // Acknowledged anyway: an envelope we cannot use must not be redelivered forever.
                LogBadEnvelope(type, "not a usable payload");
                return SendAsync(socket, sendLock, Ack(envelopeId, null), stoppingToken);
        }
    }

    private async Task AckThenAsync(ClientWebSocket socket, SemaphoreSlim sendLock, string envelopeId, CancellationToken stoppingToken, Func<Task> work)
    {
        await SendAsync(socket, sendLock, Ack(envelopeId, null), stoppingToken);
        await work();
    }

    private async Task AnswerCommandAsync(ClientWebSocket socket, SemaphoreSlim sendLock, string envelopeId, SlashCommand command, bool acceptsPayload, long arrived, CancellationToken stoppingToken)
    {
        var text = await _commands.HandleAsync(command, arrived);
        if (acceptsPayload)
        {
            await SendAsync(socket, sendLock, Ack(envelopeId, SlackText.Escape(text)), stoppingToken);
            return;
        }

        await SendAsync(socket, sendLock, Ack(envelopeId, null), stoppingToken);
        if (command.ResponseUrl is { } url) await _api.PostToResponseUrlAsync(url, SlackBlocks.Reply(text), cancellationToken: stoppingToken);
    }

    private async Task SendAsync(ClientWebSocket socket, SemaphoreSlim sendLock, byte[] message, CancellationToken stoppingToken)
    {
        await sendLock.WaitAsync(stoppingToken);
        try
        {
            if (socket.State == WebSocketState.Open)
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, stoppingToken);
        }
        catch (WebSocketException ex)
        {
            // Slack redelivers an envelope that was not acknowledged; the handlers deduplicate it.
            LogAckFailed(ex.Message);
        }
        finally
        {
            sendLock.Release();
        }
    }

    private static byte[] Ack(string envelopeId, string? ephemeralText)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("envelope_id", envelopeId);
            if (ephemeralText is not null)
            {
                writer.WriteStartObject("payload");
                writer.WriteString("response_type", "ephemeral");
                writer.WriteString("text", ephemeralText);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private JsonDocument? ParseFrame(MemoryStream frame)
    {
        try
        {
            return SlackJson.Parse(frame.GetBuffer().AsMemory(0, (int)frame.Length));
        }
        catch (JsonException ex)
        {
            LogBadEnvelope("?", "not JSON: " + ex.Message);
            return null;
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var baseDelay = Math.Max(_options.RetryBaseDelay.TotalMilliseconds, 100);
        var ceiling = Math.Min(_options.MaxRetryDelay.TotalMilliseconds, baseDelay * Math.Pow(2, Math.Min(failures, 16) - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack Socket Mode connected (connection {Count})")]
    private partial void LogConnected(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack Socket Mode connection ended: {Reason}; reconnecting")]
    private partial void LogReconnecting(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack Socket Mode could not connect (failure {Failures}): {Error}")]
    private partial void LogConnectionFailed(int failures, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack Socket Mode envelope of type {Type} not handled: {Why}")]
    private partial void LogBadEnvelope(string type, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack Socket Mode acknowledgement not sent: {Error}")]
    private partial void LogAckFailed(string error);
}
