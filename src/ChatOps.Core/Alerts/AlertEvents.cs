using ChatOps.Core.Events;

namespace ChatOps.Core.Alerts;

// Payloads of alerts-topic (key = alert fingerprint, so one alert's events stay in order).
// Each carries the whole alert, so the notification service needs neither the rules nor the store.

/// <summary>An alert started firing (or a silence over it ended before it was ever announced).</summary>
public sealed record AlertFired(AlertRecord Alert);

public sealed record AlertAcknowledged(AlertRecord Alert, string By);

/// <summary><see cref="By"/> is null when the value recovered by itself.</summary>
public sealed record AlertResolved(AlertRecord Alert, string? By, TimeSpan Duration);

/// <summary>Not acknowledged in time: the <see cref="Count"/>th call for <see cref="Mention"/>.</summary>
public sealed record AlertEscalated(AlertRecord Alert, int Count, string Mention);

/// <summary>A silence started muting an alert that was already announced.</summary>
public sealed record AlertSilenced(AlertRecord Alert, string SilenceId, string By, DateTimeOffset Until, string? Comment);

/// <summary>Envelope types of alerts-topic.</summary>
public static class AlertEventTypes
{
    public const string Fired = "alert.fired";
    public const string Acknowledged = "alert.acknowledged";
    public const string Resolved = "alert.resolved";
    public const string Escalated = "alert.escalated";
    public const string Silenced = "alert.silenced";

    public static readonly IReadOnlyList<string> All = [Fired, Acknowledged, Resolved, Escalated, Silenced];
}

/// <summary>Builds the alerts-topic envelope for an alert's <see cref="AlertRecord.PendingEvent"/>.</summary>
public static class AlertEnvelopes
{
    public static Envelope Create(AlertRecord alert, DateTimeOffset at, Silence? silence = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert.PendingEvent switch
        {
            AlertEventTypes.Fired => Envelope.Create(AlertEventTypes.Fired, alert.Fingerprint, new AlertFired(alert), at),
            AlertEventTypes.Acknowledged => Envelope.Create(AlertEventTypes.Acknowledged, alert.Fingerprint,
                new AlertAcknowledged(alert, alert.AcknowledgedBy ?? "someone"), at),
            AlertEventTypes.Resolved => Envelope.Create(AlertEventTypes.Resolved, alert.Fingerprint,
                new AlertResolved(alert, alert.ResolvedBy, (alert.ResolvedAt ?? at) - (alert.FiredAt ?? alert.StartedAt)), at),
            AlertEventTypes.Escalated => Envelope.Create(AlertEventTypes.Escalated, alert.Fingerprint,
                new AlertEscalated(alert, alert.Escalations, alert.Terms.Escalation?.Mention ?? ""), at),
            AlertEventTypes.Silenced => Envelope.Create(AlertEventTypes.Silenced, alert.Fingerprint,
                new AlertSilenced(alert, silence?.Id ?? alert.SilencedBy ?? "", silence?.CreatedBy ?? "someone", silence?.EndsAt ?? at, silence?.Comment), at),
            var other => throw new InvalidOperationException($"alert {alert.Id} has no publishable event ('{other}')"),
        };
    }
}
