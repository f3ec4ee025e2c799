using ChatOps.Core.Alerts.Rules;

namespace ChatOps.Core.Alerts;

/// <summary>The lifecycle of one alert: pending → firing → acknowledged → resolved.</summary>
public enum AlertState
{
    /// <summary>Breaching, but not yet for the rule's for-duration. Never announced.</summary>
    Pending,
    Firing,
    Acknowledged,
    Resolved,
}

/// <summary>Why an alert fires.</summary>
public enum AlertCondition
{
    Threshold,
    Anomaly,
    NoData,
}

/// <summary>
/// The rule's terms frozen when the alert opened, so the alert reads (and routes) the same until it
/// resolves even if the rule is edited meanwhile, and consumers need no access to the rules.
/// </summary>
public sealed record AlertTerms(
    string Metric,
    AlertComparator Comparator,
    double? Threshold,
    double? ClearThreshold,
    string? Summary,
    IReadOnlyList<AlertRoute> Routes,
    string? Runbook,
    EscalationSettings? Escalation);

/// <summary>
/// One occurrence of an alert as the store keeps it (and as alerts-topic carries it). Writes are
/// conditional on <see cref="Version"/>. <see cref="PendingEvent"/> is the event type that still has
/// to reach the bus: set together with the state change and cleared once published, so a crash
/// between the two is repaired by the evaluator's tick (consumers are idempotent).
/// </summary>
public sealed record AlertRecord
{
    /// <summary>Short id shown in chat (<c>ack k3f9x2ab</c>).</summary>
    public required string Id { get; init; }

    /// <summary>rule + server + labels (see <see cref="AlertFingerprint"/>); the alerts-topic key.</summary>
    public required string Fingerprint { get; init; }

    public required string RuleName { get; init; }
    public required string ServerId { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public required AlertCondition Condition { get; init; }
    public required AlertSeverity Severity { get; init; }
    public required AlertState State { get; init; }

    /// <summary>The latest value seen (null for no-data).</summary>
    public double? Value { get; init; }

    /// <summary>More about the value, e.g. "z = 4.2 against a baseline of 40 ± 3".</summary>
    public string? Detail { get; init; }

    public required AlertTerms Terms { get; init; }

    /// <summary>When the breach began (pending since).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FiredAt { get; init; }

    /// <summary>Since when the value has been clear (for <see cref="AlertRule.ClearFor"/>).</summary>
    public DateTimeOffset? ClearSince { get; init; }

    public DateTimeOffset? LastSampleAt { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public string? AcknowledgedBy { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>Who resolved it; null when it recovered by itself.</summary>
    public string? ResolvedBy { get; init; }

    public int Escalations { get; init; }
    public DateTimeOffset? LastEscalatedAt { get; init; }

    /// <summary>The silence muting it now, if any: no announcement, no escalation.</summary>
    public string? SilencedBy { get; init; }

    public string? PendingEvent { get; init; }
    public long Version { get; init; }

    /// <summary>When the state last changed (new values alone do not count).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    public bool IsActive => State != AlertState.Resolved;

    /// <summary>Firing or acknowledged: it has been (or is being) announced.</summary>
    public bool IsOpen => State is AlertState.Firing or AlertState.Acknowledged;
}
