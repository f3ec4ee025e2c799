using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;

namespace ChatOps.Embedded.Sqlite.Internal;

/// <summary>An <c>alerts</c> row as Dapper reads it (columns aliased to these names).</summary>
internal sealed class AlertRow
{
    public const string Columns = """
        id AS Id, fingerprint AS Fingerprint, rule_name AS RuleName, server_id AS ServerId, labels AS Labels,
        condition AS Condition, severity AS Severity, state AS State, value AS Value, detail AS Detail, terms AS Terms,
        started_at AS StartedAt, fired_at AS FiredAt, clear_since AS ClearSince, last_sample_at AS LastSampleAt,
        acknowledged_at AS AcknowledgedAt, acknowledged_by AS AcknowledgedBy, resolved_at AS ResolvedAt,
        resolved_by AS ResolvedBy, escalations AS Escalations, last_escalated_at AS LastEscalatedAt,
        silenced_by AS SilencedBy, pending_event AS PendingEvent, version AS Version, updated_at AS UpdatedAt
        """;

    public string Id { get; init; } = "";
    public string Fingerprint { get; init; } = "";
    public string RuleName { get; init; } = "";
    public string ServerId { get; init; } = "";
    public string Labels { get; init; } = "{}";
    public string Condition { get; init; } = "";
    public string Severity { get; init; } = "";
    public string State { get; init; } = "";
    public double? Value { get; init; }
    public string? Detail { get; init; }
    public string Terms { get; init; } = "";
    public string StartedAt { get; init; } = "";
    public string? FiredAt { get; init; }
    public string? ClearSince { get; init; }
    public string? LastSampleAt { get; init; }
    public string? AcknowledgedAt { get; init; }
    public string? AcknowledgedBy { get; init; }
    public string? ResolvedAt { get; init; }
    public string? ResolvedBy { get; init; }
    public long Escalations { get; init; }
    public string? LastEscalatedAt { get; init; }
    public string? SilencedBy { get; init; }
    public string? PendingEvent { get; init; }
    public long Version { get; init; }
    public string UpdatedAt { get; init; } = "";

    public static object ToParameters(AlertRecord alert) => new
    {
        alert.Id,
        alert.Fingerprint,
        alert.RuleName,
        alert.ServerId,
        Labels = SqliteJson.FromMap(alert.Labels),
        Condition = AlertText.ToText(alert.Condition),
        Severity = AlertText.ToText(alert.Severity),
        State = AlertText.ToText(alert.State),
        alert.Value,
        alert.Detail,
        Terms = AlertText.ToJson(alert.Terms),
        StartedAt = SqliteTime.ToText(alert.StartedAt),
        FiredAt = SqliteTime.ToText(alert.FiredAt),
        ClearSince = SqliteTime.ToText(alert.ClearSince),
        LastSampleAt = SqliteTime.ToText(alert.LastSampleAt),
        AcknowledgedAt = SqliteTime.ToText(alert.AcknowledgedAt),
        alert.AcknowledgedBy,
        ResolvedAt = SqliteTime.ToText(alert.ResolvedAt),
        alert.ResolvedBy,
        alert.Escalations,
        LastEscalatedAt = SqliteTime.ToText(alert.LastEscalatedAt),
        alert.SilencedBy,
        alert.PendingEvent,
        alert.Version,
        UpdatedAt = SqliteTime.ToText(alert.UpdatedAt),
    };

    public AlertRecord ToRecord() => new()
    {
        Id = Id,
        Fingerprint = Fingerprint,
        RuleName = RuleName,
        ServerId = ServerId,
        Labels = SqliteJson.ToMap(Labels, "alerts.labels"),
        Condition = AlertText.FromText<AlertCondition>(Condition, "alerts.condition"),
        Severity = AlertText.FromText<AlertSeverity>(Severity, "alerts.severity"),
        State = AlertText.FromText<AlertState>(State, "alerts.state"),
        Value = Value,
        Detail = Detail,
        Terms = AlertText.FromJson<AlertTerms>(Terms, "alerts.terms"),
        StartedAt = SqliteTime.FromText(StartedAt),
        FiredAt = SqliteTime.FromNullableText(FiredAt),
        ClearSince = SqliteTime.FromNullableText(ClearSince),
        LastSampleAt = SqliteTime.FromNullableText(LastSampleAt),
        AcknowledgedAt = SqliteTime.FromNullableText(AcknowledgedAt),
        AcknowledgedBy = AcknowledgedBy,
        ResolvedAt = SqliteTime.FromNullableText(ResolvedAt),
        ResolvedBy = ResolvedBy,
        Escalations = checked((int)Escalations),
        LastEscalatedAt = SqliteTime.FromNullableText(LastEscalatedAt),
        SilencedBy = SilencedBy,
        PendingEvent = PendingEvent,
        Version = Version,
        UpdatedAt = SqliteTime.FromText(UpdatedAt),
    };
}
