using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Ports;

/// <summary>What a button on an alert does. Each action is a chat command, run as the person who clicked.</summary>
public enum AlertActionKind
{
    Acknowledge,
    Resolve,
    RunRunbook,
    Silence,
}

/// <summary>
/// A button on an alert's root message. <see cref="Command"/> is the command text (e.g.
/// <c>ack k3f9x2ab</c>); an adapter runs it through <c>CommandIntake</c> as the clicking user, so
/// roles are checked exactly as if it had been typed.
/// </summary>
public sealed record AlertAction(AlertActionKind Kind, string Label, string Command);

/// <summary>
/// The root message of an alert thread, as data: adapters render it (Slack blocks, a Teams card);
/// <see cref="Text"/> is a ready plain rendering for platforms without cards.
/// </summary>
public sealed record AlertCard(
    string AlertId,
    string Fingerprint,
    string RuleName,
    string ServerId,
    AlertSeverity Severity,
    AlertState State,
    string Title,
    string? Value,
    string Condition,
    DateTimeOffset Since,
    TimeSpan? Duration,
    string? AcknowledgedBy,
    string Text,
    IReadOnlyList<AlertAction> Actions);

/// <summary>A reply in an alert thread. <see cref="Mention"/> is an on-call group to notify (escalation).</summary>
public sealed record AlertReply(string Text, string DedupeKey, string? Mention = null);

/// <summary>
/// A chat platform's alert threads (<c>web</c>, <c>slack</c>, <c>teams</c>): one thread per alert per
/// route, whose root shows the alert and is updated in place.
/// Failure contract (as <see cref="IChatClient"/>): transient failures (rate limits, 5xx) are retried
/// or queued inside the adapter, so a call that returns has been delivered; a final failure (channel
/// gone, not allowed) throws <see cref="ChatDeliveryException"/>. The notifier calls
/// <see cref="OpenThreadAsync"/> once per alert and route (a store claim guards it); adapters that
/// can should still make it idempotent by <see cref="AlertCard.AlertId"/>.
/// </summary>
public interface IAlertChannel
{
    string Platform { get; }

    /// <summary>Posts the root message in <see cref="AlertRoute.Channel"/>; returns the thread.</summary>
    Task<ChatRef> OpenThreadAsync(AlertRoute route, AlertCard card, CancellationToken cancellationToken = default);

    /// <summary>Rewrites the root in place (state, value, who acknowledged, buttons).</summary>
    Task UpdateRootAsync(ChatRef thread, AlertCard card, CancellationToken cancellationToken = default);

    /// <summary>Posts a reply; a <see cref="AlertReply.DedupeKey"/> seen before may be ignored.</summary>
    Task PostReplyAsync(ChatRef thread, AlertReply reply, CancellationToken cancellationToken = default);
}

public enum DeliveryOutcome
{
    Delivered,

    /// <summary>Worth trying again later (network, timeouts, 429, 5xx, SMTP 4xx).</summary>
    Retry,

    /// <summary>Final: trying again cannot help (bad address, 4xx, SMTP 5xx).</summary>
    Rejected,
}

public sealed record DeliveryResult(DeliveryOutcome Outcome, string? Error = null)
{
    public static readonly DeliveryResult Delivered = new(DeliveryOutcome.Delivered);

    public static DeliveryResult Retry(string error) => new(DeliveryOutcome.Retry, error);

    public static DeliveryResult Rejected(string error) => new(DeliveryOutcome.Rejected, error);
}

/// <summary>
/// A channel without threads (<c>email</c>, <c>webhook</c>), fed from the outbox. Failure contract:
/// never throws for a delivery problem; the result says whether retrying is worth it (the outbox
/// drainer backs off and retries, then gives up and logs). Exceptions are treated as <see cref="DeliveryOutcome.Retry"/>.
/// </summary>
public interface IAlertDelivery
{
    string Platform { get; }

    Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default);
}
