using ChatOps.Core.Events;

namespace ChatOps.Core.Alerts.Notifications;

public enum AlertChangeKind
{
    Fired,
    Acknowledged,
    Resolved,
    Escalated,
    Silenced,
}

/// <summary>An alerts-topic event as the notifier needs it: which alert, what happened, the reply, and its ledger key.</summary>
public sealed record AlertChange(AlertChangeKind Kind, AlertRecord Alert, string EventKey, string Reply, string? Mention = null)
{
    /// <summary>Reads an alerts-topic envelope; null for types this version does not announce.</summary>
    public static AlertChange? From(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        switch (envelope.Type)
        {
            case AlertEventTypes.Fired:
                var fired = envelope.Read<AlertFired>();
                return new(AlertChangeKind.Fired, fired.Alert, "fired", AlertCards.FiredReply(fired.Alert));
            case AlertEventTypes.Acknowledged:
                var acknowledged = envelope.Read<AlertAcknowledged>();
                return new(AlertChangeKind.Acknowledged, acknowledged.Alert, "acknowledged", AlertCards.AcknowledgedReply(acknowledged));
            case AlertEventTypes.Resolved:
                var resolved = envelope.Read<AlertResolved>();
                return new(AlertChangeKind.Resolved, resolved.Alert, "resolved", AlertCards.ResolvedReply(resolved));
            case AlertEventTypes.Escalated:
                var escalated = envelope.Read<AlertEscalated>();
                return new(AlertChangeKind.Escalated, escalated.Alert, $"escalated:{escalated.Count}", AlertCards.EscalatedReply(escalated), escalated.Mention);
            case AlertEventTypes.Silenced:
                var silenced = envelope.Read<AlertSilenced>();
                return new(AlertChangeKind.Silenced, silenced.Alert, $"silenced:{silenced.SilenceId}", AlertCards.SilencedReply(silenced));
            default:
                return null;
        }
    }
}
