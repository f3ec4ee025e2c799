using System.Text.Json;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Alerts.Notifications;

/// <summary>
/// The notification service for alerts (group <see cref="ConsumerGroup"/> on alerts-topic): one
/// thread per alert per chat route, whose root is the alert card updated in place, and one reply per
/// state change; email and webhook routes go to the outbox. Every announcement is claimed in the
/// store first (<see cref="INotificationLedger"/>), so any number of replicas, and any redelivery,
/// announce each event once.
/// </summary>
public sealed partial class AlertNotifier(
    IEnumerable<IAlertChannel> channels,
    IEnumerable<IAlertDelivery> deliveries,
    INotificationLedger ledger,
    INotificationOutbox outbox,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertNotifier> logger)
{
    public const string ConsumerGroup = "alert-notifications";

    private readonly Dictionary<string, IAlertChannel> _channels = channels.ToDictionary(c => c.Platform, StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _deliveries = deliveries.Select(d => d.Platform).ToHashSet(StringComparer.OrdinalIgnoreCase);
    private readonly TimeSpan _lease = options.Value.ClaimLease;

    /// <summary>This replica's name on its claims.</summary>
    public string InstanceId { get; } = "notifier-" + Secrets.NewShortId(6);

    public async Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        var change = AlertChange.From(envelope);
        if (change is null) return;

        // Each route on its own: one broken route must not keep the others from hearing about the alert.
        var failures = new List<Exception>();
        foreach (var route in change.Alert.Terms.Routes)
        {
            try
            {
                await NotifyAsync(change, route, envelope, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRouteFailed(ex, change.Alert.Id, change.EventKey, route.Key);
                failures.Add(ex);
            }
        }

        // Throwing makes the bus retry (routes already done are skipped by their claims), then park it.
        if (failures.Count > 0) throw new AggregateException($"alert {change.Alert.Id} {change.EventKey}: {failures.Count} route(s) failed", failures);
    }

    private async Task NotifyAsync(AlertChange change, AlertRoute route, Envelope envelope, CancellationToken cancellationToken)
    {
        if (_channels.TryGetValue(route.Platform, out var channel))
        {
            await NotifyThreadAsync(channel, change, route, cancellationToken);
        }
        else if (_deliveries.Contains(route.Platform))
        {
            await EnqueueAsync(change, route, envelope, cancellationToken);
        }
        else
        {
            LogNoChannel(change.Alert.Id, route.Platform, route.Key);
        }
    }

    private async Task NotifyThreadAsync(IAlertChannel channel, AlertChange change, AlertRoute route, CancellationToken cancellationToken)
    {
        var alert = change.Alert;
        var key = new NotificationKey(alert.Id, route.Key, change.EventKey);
        if (!await ClaimAsync(key, cancellationToken)) return;

        var thread = (await ledger.GetThreadAsync(alert.Id, route.Key, cancellationToken))?.Thread;
        if (thread is null)
        {
            // Resolved before it was ever announced (silenced all along): nothing to tell anyone.
            if (change.Kind == AlertChangeKind.Resolved)
            {
                await CompleteAsync(key, cancellationToken);
                return;
            }

            // Any event may open the thread (its announcement may have been lost); the "fired" claim guards it.
            thread = await OpenThreadAsync(channel, alert, route, change.Kind == AlertChangeKind.Fired ? null : key with { Event = "fired" }, cancellationToken);
            if (thread is null || change.Kind == AlertChangeKind.Fired)
            {
                await CompleteAsync(key, cancellationToken);
                return;
            }
        }
        else if (change.Kind == AlertChangeKind.Fired)
        {
            // Announced before (a silence over it ended): the thread is there already.
            await CompleteAsync(key, cancellationToken);
            return;
        }

        await channel.PostReplyAsync(thread, new AlertReply(change.Reply, $"{alert.Id}:{change.EventKey}", change.Mention), cancellationToken);
        await channel.UpdateRootAsync(thread, AlertCards.For(alert), cancellationToken);
        await CompleteAsync(key, cancellationToken);
        LogReplied(alert.Id, change.EventKey, route.Key);
    }

    /// <summary>Posts the root; under <paramref name="firedKey"/>'s claim when another event opens it. Null when someone else did.</summary>
    private async Task<Domain.ChatRef?> OpenThreadAsync(IAlertChannel channel, AlertRecord alert, AlertRoute route, NotificationKey? firedKey, CancellationToken cancellationToken)
    {
        if (firedKey is not null && !await ClaimAsync(firedKey, cancellationToken))
            return (await ledger.GetThreadAsync(alert.Id, route.Key, cancellationToken))?.Thread;

        var thread = await channel.OpenThreadAsync(route, AlertCards.For(alert), cancellationToken);
        await ledger.SaveThreadAsync(new AlertThread(alert.Id, route.Key, thread, time.GetUtcNow()), cancellationToken);
        if (firedKey is not null) await CompleteAsync(firedKey, cancellationToken);
        LogOpened(alert.Id, route.Key);
        return thread;
    }

    private async Task EnqueueAsync(AlertChange change, AlertRoute route, Envelope envelope, CancellationToken cancellationToken)
    {
        var alert = change.Alert;
        var card = AlertCards.For(alert);
        var payload = JsonSerializer.Serialize(new
        {
            @event = envelope.Type,
            eventId = envelope.Id,
            occurredAt = envelope.OccurredAt,
            text = change.Reply,
            card = card.Text,
            alert,
        }, ChatOpsJson.Options);
        var now = time.GetUtcNow();
        var message = new OutboxMessage
        {
            Key = new NotificationKey(alert.Id, route.Key, change.EventKey),
            Platform = route.Platform,
            Destination = route.Channel,
            Title = $"[{alert.Severity.ToString().ToUpperInvariant()}] {change.Reply}",
            Body = change.Reply + "\n\n" + card.Text,
            Payload = payload,
            NextAttemptAt = now,
            CreatedAt = now,
        };
        if (await outbox.TryEnqueueAsync(message, cancellationToken)) LogQueued(alert.Id, change.EventKey, route.Key);
    }

    /// <summary>True when this replica should do the work; throws when another replica is on it now (retry later).</summary>
    private async Task<bool> ClaimAsync(NotificationKey key, CancellationToken cancellationToken) =>
        await ledger.TryClaimAsync(key, InstanceId, time.GetUtcNow(), _lease, cancellationToken) switch
        {
            ClaimOutcome.Claimed => true,
            ClaimOutcome.AlreadyDone => false,
            _ => throw new AlertClaimHeldException(key),
        };

    private Task CompleteAsync(NotificationKey key, CancellationToken cancellationToken) =>
        ledger.CompleteAsync(key, InstanceId, time.GetUtcNow(), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: thread opened on {Route}")]
    private partial void LogOpened(string alertId, string route);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: {EventKey} posted on {Route}")]
    private partial void LogReplied(string alertId, string eventKey, string route);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: {EventKey} queued for {Route}")]
    private partial void LogQueued(string alertId, string eventKey, string route);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: no channel for platform '{Platform}' is configured in this process; route {Route} was not notified")]
    private partial void LogNoChannel(string alertId, string platform, string route);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: {EventKey} on {Route} failed; the bus will retry")]
    private partial void LogRouteFailed(Exception error, string alertId, string eventKey, string route);
}

/// <summary>Another notifier replica is announcing this right now; the bus retries later (and then finds it done).</summary>
public sealed class AlertClaimHeldException(NotificationKey key)
    : Exception($"{key.Subject} {key.Event} on {key.Route} is being announced by another notifier");
