using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Alerts.Notifications;

/// <summary>
/// Sends the email and webhook messages of the outbox (run by a job every
/// <see cref="AlertOptions.DeliveryInterval"/>): delivered, or retried with exponential backoff up to
/// <see cref="AlertOptions.DeliveryMaxAttempts"/>, then marked failed with a log line. A message
/// leased by one drainer is skipped by the others until its lease runs out.
/// </summary>
public sealed partial class OutboxDrainer(
    INotificationOutbox outbox,
    IEnumerable<IAlertDelivery> deliveries,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<OutboxDrainer> logger)
{
    private const int BatchSize = 50;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private readonly AlertOptions _options = options.Value;
    private readonly Dictionary<string, IAlertDelivery> _deliveries = deliveries.ToDictionary(d => d.Platform, StringComparer.OrdinalIgnoreCase);

    /// <summary>Sends what is due now; returns how many messages were delivered.</summary>
    public async Task<int> DrainOnceAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        foreach (var message in await outbox.LeaseDueAsync(time.GetUtcNow(), Lease, BatchSize, cancellationToken))
        {
            var result = await DeliverAsync(message, cancellationToken);
            var attempts = message.Attempts + 1;
            var now = time.GetUtcNow();
            switch (result.Outcome)
            {
                case DeliveryOutcome.Delivered:
                    await outbox.MarkDeliveredAsync(message.Id, attempts, now, cancellationToken);
                    LogDelivered(message.Id, message.Platform, message.Destination, attempts);
                    delivered++;
                    break;
                case DeliveryOutcome.Retry when attempts < _options.DeliveryMaxAttempts:
                    var next = now + Backoff(attempts);
                    await outbox.ScheduleRetryAsync(message.Id, attempts, next, result.Error ?? "unknown error", cancellationToken);
                    LogRetry(message.Id, message.Platform, message.Destination, attempts, next, result.Error ?? "");
                    break;
                default:
                    await outbox.MarkFailedAsync(message.Id, attempts, result.Error ?? "unknown error", now, cancellationToken);
                    LogGaveUp(message.Id, message.Platform, message.Destination, attempts, result.Error ?? "");
                    break;
            }
        }

        return delivered;
    }

    /// <summary>initial × 2^(attempts-1), capped.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var backoff = TimeSpan.FromTicks((long)Math.Min(_options.DeliveryInitialBackoff.Ticks * factor, _options.DeliveryMaxBackoff.Ticks));
        return backoff;
    }

    private async Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        if (!_deliveries.TryGetValue(message.Platform, out var delivery))
            return DeliveryResult.Retry($"no {message.Platform} delivery is configured in this process");
        try
        {
            return await delivery.DeliverAsync(message, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Retry($"{ex.GetType().Name}: {ex.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox message {MessageId} delivered by {Platform} to {Destination} (attempt {Attempts})")]
    private partial void LogDelivered(long messageId, string platform, string destination, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {MessageId} to {Platform} {Destination} failed (attempt {Attempts}), retrying at {NextAttemptAt}: {Error}")]
    private partial void LogRetry(long messageId, string platform, string destination, int attempts, DateTimeOffset nextAttemptAt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox message {MessageId} to {Platform} {Destination} given up after {Attempts} attempt(s): {Error}")]
    private partial void LogGaveUp(long messageId, string platform, string destination, int attempts, string error);
}
