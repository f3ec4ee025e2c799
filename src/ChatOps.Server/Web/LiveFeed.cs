using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using ChatOps.Core.Alerts;
using ChatOps.Core.Approvals;
using ChatOps.Core.Events;
using ChatOps.Core.Metrics;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;

namespace ChatOps.Server.Web;

/// <summary>One server-sent event for the page: its name and JSON data.</summary>
public sealed record LiveMessage(string Event, string Data);

/// <summary>
/// Feeds the page's live view (<c>/api/live</c>): this web node reads agent connections and
/// disconnections (events-topic), metrics (metrics-topic), command and approval steps
/// (commands-topic) and alert lifecycle steps (alerts-topic: fired, acknowledged, resolved,
/// escalated, silenced) in a consumer group of its own, and pushes a small JSON message to every page
/// connected to it. Nothing is polled. Events older than the node's start are skipped (a new group
/// on Kafka starts at the earliest retained message). A page may watch only some servers: messages
/// about servers no page here watches are dropped before any work is done on them (metrics are most
/// of the traffic), and each page receives only its servers' messages.
/// </summary>
public sealed partial class LiveFeed(IEventBus bus, TimeProvider time, ILogger<LiveFeed> logger) : IHostedService
{
    public const int MaxPendingPerClient = 256;

    private readonly ConcurrentDictionary<long, Watcher> _clients = new();
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private long _nextClient;
    private DateTimeOffset _startedAt;

    public int ClientCount => _clients.Count;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _startedAt = time.GetUtcNow() - TimeSpan.FromSeconds(5);
        var group = "web-live-" + Secrets.NewShortId(10);
        foreach (var topic in new[] { Topics.Events, Topics.Metrics, Topics.Commands, Topics.Alerts })
            _subscriptions.Add(await bus.SubscribeAsync(topic, group, HandleAsync, new ConsumerOptions { MaxAttempts = 1 }, cancellationToken));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var subscription in _subscriptions) await subscription.DisposeAsync();
        foreach (var client in _clients.Values) client.Channel.Writer.TryComplete();
    }

    /// <summary>Adds a page watching <paramref name="servers"/> (null: every server); dispose the returned handle when it disconnects.</summary>
    public LiveClient Join(IReadOnlySet<string>? servers = null)
    {
        // A slow page loses its oldest updates rather than holding up the feed or memory.
        var channel = Channel.CreateBounded<LiveMessage>(new BoundedChannelOptions(MaxPendingPerClient) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var id = Interlocked.Increment(ref _nextClient);
        _clients[id] = new Watcher(channel, servers);
        return new LiveClient(channel.Reader, () =>
        {
            _clients.TryRemove(id, out _);
            channel.Writer.TryComplete();
        });
    }

    internal Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        if (envelope.OccurredAt < _startedAt || _clients.IsEmpty) return Task.CompletedTask;
        var serverId = ServerOf(envelope);
        if (serverId is not null && !_clients.Values.Any(c => c.Watches(serverId))) return Task.CompletedTask;
        try
        {
            if (ToMessage(envelope) is { } message)
                foreach (var client in _clients.Values)
                    if (serverId is null || client.Watches(serverId)) client.Channel.Writer.TryWrite(message);
        }
        catch (JsonException ex)
        {
            LogUnreadable(envelope.Type, envelope.Id, ex.Message);
        }

        return Task.CompletedTask;
    }

    /// <summary>Which server a message is about, from its key (no parsing), or null for messages about no server (approvals).</summary>
    private static string? ServerOf(Envelope envelope) => envelope.Type switch
    {
        // Metrics and commands are keyed by server id; agent events by the server id too (events-topic's entity).
        EventTypes.MetricsReported or EventTypes.AgentConnected or EventTypes.AgentDisconnected => envelope.Key,
        EventTypes.CommandDispatched or EventTypes.CommandStarted or EventTypes.CommandCompleted or EventTypes.CommandFailed or EventTypes.CommandWaiting => envelope.Key,
        // Alerts are keyed by fingerprint; their server is in the payload (few messages, so reading it is cheap).
        // One that names no server reaches only pages watching every server, never a narrowed page.
        AlertEventTypes.Fired or AlertEventTypes.Acknowledged or AlertEventTypes.Resolved or AlertEventTypes.Escalated or AlertEventTypes.Silenced =>
            AlertServerOf(envelope) ?? UnknownServer,
        _ => null,
    };

    // Not a valid server id (see LiveEndpoint), so no narrowed page ever watches it.
    private const string UnknownServer = "?";

    private static string? AlertServerOf(Envelope envelope) =>
        envelope.Payload.ValueKind == JsonValueKind.Object && envelope.Payload.TryGetProperty("alert", out var alert) && alert.ValueKind == JsonValueKind.Object
        && alert.TryGetProperty("serverId", out var server) && server.ValueKind == JsonValueKind.String
            ? server.GetString()
            : null;

    private static LiveMessage? ToMessage(Envelope envelope) => envelope.Type switch
    {
        EventTypes.AgentConnected => Json("agent", envelope.Read<AgentConnected>() is var c
            ? new { serverId = c.ServerId, online = true, since = c.At, agentVersion = c.AgentVersion } : null),
        EventTypes.AgentDisconnected => Json("agent", envelope.Read<AgentDisconnected>() is var d
            ? new { serverId = d.ServerId, online = false, reason = d.Reason } : null),
        EventTypes.MetricsReported => Json("metrics", envelope.Read<MetricsReported>().Snapshot is var s
            ? new { serverId = s.ServerId, at = s.At, summary = MetricsSummary.Format(s), samples = s.Samples.Select(x => new { name = x.Name, labels = x.Labels, value = x.Value }) } : null),
        EventTypes.CommandDispatched or EventTypes.CommandStarted or EventTypes.CommandCompleted or EventTypes.CommandFailed or EventTypes.CommandWaiting =>
            Json("command", new { type = envelope.Type, commandId = envelope.Payload.GetProperty("commandId").GetString(), serverId = envelope.Key }),
        ApprovalEventTypes.Requested or ApprovalEventTypes.Decided =>
            Json("approval", new { type = envelope.Type, approvalId = envelope.Payload.GetProperty("approvalId").GetString() }),
        AlertEventTypes.Fired or AlertEventTypes.Acknowledged or AlertEventTypes.Resolved or AlertEventTypes.Escalated or AlertEventTypes.Silenced =>
            AlertMessage(envelope),
        _ => null,
    };

    /// <summary>The step and the alert's state after it; the page fetches the card from <c>/api/alerts/{id}</c> if it wants more.</summary>
    private static LiveMessage AlertMessage(Envelope envelope)
    {
        var alert = envelope.Payload.GetProperty("alert").Deserialize<AlertRecord>(ChatOpsJson.Options)
            ?? throw new JsonException("the alert event carries no alert");
        return Json("alert", new
        {
            type = envelope.Type,
            alertId = alert.Id,
            rule = alert.RuleName,
            serverId = alert.ServerId,
            severity = alert.Severity.ToString().ToLowerInvariant(),
            state = alert.State.ToString().ToLowerInvariant(),
            value = alert.Value,
            at = envelope.OccurredAt,
        });
    }

    private static LiveMessage Json(string name, object? data) => new(name, JsonSerializer.Serialize(data, ChatOpsJson.Options));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live feed skipped an unreadable {Type} message {MessageId}: {Reason}")]
    private partial void LogUnreadable(string type, string messageId, string reason);
}

/// <summary>A page's queue and the servers it watches (null: all).</summary>
internal sealed record Watcher(Channel<LiveMessage> Channel, IReadOnlySet<string>? Servers)
{
    public bool Watches(string serverId) => Servers is null || Servers.Contains(serverId);
}

/// <summary>A connected page: its messages, and how to leave.</summary>
public sealed class LiveClient(ChannelReader<LiveMessage> reader, Action leave) : IDisposable
{
    public ChannelReader<LiveMessage> Messages { get; } = reader;

    public void Dispose() => leave();
}
