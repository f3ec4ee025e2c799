using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;

namespace ChatOps.Postgres.Internal;

/// <summary>An <c>alerts</c> row as Dapper reads it (columns aliased to these names, jsonb as text).</summary>
internal sealed class AlertRow
{
    public const string Columns = """
        id AS Id, fingerprint AS Fingerprint, rule_name AS RuleName, server_id AS ServerId, labels::text AS Labels,
        condition AS Condition, severity AS Severity, state AS State, value AS Value, detail AS Detail, terms::text AS Terms,
        started_at AS StartedAt, fired_at AS FiredAt, clear_since AS ClearSince, last_sample_at AS LastSampleAt,
        acknowledged_at AS AcknowledgedAt, acknowledged_by AS AcknowledgedBy, resolved_at AS ResolvedAt,
        resolved_by AS ResolvedBy, escalations AS Escalations, last_escalated_at AS LastEscalatedAt,
        silenced_by AS SilencedBy, pending_event AS PendingEvent, version AS Version, updated_at AS UpdatedAt
        """;

    /// <summary>An active alert, spelled as the partial indexes spell it so the planner can use them.</summary>
    public const string ActiveCondition = "state <> 'resolved'";

    public string Id { get; init; } = "";
    public string Fingerprint { get; init; } = "";
    public string RuleName { get; init; } = "";
    public string ServerId { get; init; } = "";
    public string Labels { get; init; } = PostgresJson.EmptyObject;
    public string Condition { get; init; } = "";
    public string Severity { get; init; } = "";
    public string State { get; init; } = "";
    public double? Value { get; init; }
    public string? Detail { get; init; }
    public string Terms { get; init; } = "";
    public DateTime StartedAt { get; init; }
    public DateTime? FiredAt { get; init; }
    public DateTime? ClearSince { get; init; }
    public DateTime? LastSampleAt { get; init; }
    public DateTime? AcknowledgedAt { get; init; }
    public string? AcknowledgedBy { get; init; }
    public DateTime? ResolvedAt { get; init; }
    public string? ResolvedBy { get; init; }
    public int Escalations { get; init; }
    public DateTime? LastEscalatedAt { get; init; }
    public string? SilencedBy { get; init; }
    public string? PendingEvent { get; init; }
    public long Version { get; init; }
    public DateTime UpdatedAt { get; init; }

    public static object ToParameters(AlertRecord alert) => new
    {
        alert.Id,
        alert.Fingerprint,
        alert.RuleName,
        alert.ServerId,
        Labels = PostgresJson.FromMap(alert.Labels),
        Condition = AlertText.ToText(alert.Condition),
        Severity = AlertText.ToText(alert.Severity),
        State = AlertText.ToText(alert.State),
        alert.Value,
        Detail = alert.Detail is null ? null : PostgresText.WithoutNul(alert.Detail),
        Terms = AlertText.ToJson(alert.Terms),
        StartedAt = PostgresTime.ToDb(alert.StartedAt),
        FiredAt = PostgresTime.ToDb(alert.FiredAt),
        ClearSince = PostgresTime.ToDb(alert.ClearSince),
        LastSampleAt = PostgresTime.ToDb(alert.LastSampleAt),
        AcknowledgedAt = PostgresTime.ToDb(alert.AcknowledgedAt),
        alert.AcknowledgedBy,
        ResolvedAt = PostgresTime.ToDb(alert.ResolvedAt),
        alert.ResolvedBy,
        alert.Escalations,
        LastEscalatedAt = PostgresTime.ToDb(alert.LastEscalatedAt),
        alert.SilencedBy,
        alert.PendingEvent,
        alert.Version,
        UpdatedAt = PostgresTime.ToDb(alert.UpdatedAt),
    };

    public AlertRecord ToRecord() => new()
    {
        Id = Id,
        Fingerprint = Fingerprint,
        RuleName = RuleName,
        ServerId = ServerId,
        Labels = PostgresJson.ToMap(Labels, "alerts.labels"),
        Condition = AlertText.FromText<AlertCondition>(Condition, "alerts.condition"),
        Severity = AlertText.FromText<AlertSeverity>(Severity, "alerts.severity"),
        State = AlertText.FromText<AlertState>(State, "alerts.state"),
        Value = Value,
        Detail = Detail,
        Terms = AlertText.FromJson<AlertTerms>(Terms, "alerts.terms"),
        StartedAt = PostgresTime.FromDb(StartedAt),
        FiredAt = PostgresTime.FromDb(FiredAt),
        ClearSince = PostgresTime.FromDb(ClearSince),
        LastSampleAt = PostgresTime.FromDb(LastSampleAt),
        AcknowledgedAt = PostgresTime.FromDb(AcknowledgedAt),
        AcknowledgedBy = AcknowledgedBy,
        ResolvedAt = PostgresTime.FromDb(ResolvedAt),
        ResolvedBy = ResolvedBy,
        Escalations = Escalations,
        LastEscalatedAt = PostgresTime.FromDb(LastEscalatedAt),
        SilencedBy = SilencedBy,
        PendingEvent = PendingEvent,
        Version = Version,
        UpdatedAt = PostgresTime.FromDb(UpdatedAt),
    };
}
