namespace ChatOps.Core.Alerts.Rules;

// The rules file (YAML) and the REST API as written by people: every scalar is text, so a wrong
// value is reported by the reader as "rule 'x': field 'threshold': ..." instead of a parser error.
// Property names map to snake_case keys (ClearFor -> clear_for).

/// <summary>The whole rules file: alert rules and scheduled commands.</summary>
public sealed class AlertRulesDocument
{
    public List<AlertRuleDocument>? Rules { get; set; }
    public List<ScheduledCommandDocument>? Schedules { get; set; }
}

public sealed class AlertRuleDocument
{
    public string? Name { get; set; }
    public string? Metric { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? Target { get; set; }
    public string? Comparator { get; set; }
    public string? Threshold { get; set; }
    public string? For { get; set; }
    public string? Clear { get; set; }
    public string? ClearFor { get; set; }
    public string? Severity { get; set; }
    public string? NoData { get; set; }
    public AnomalyDocument? Anomaly { get; set; }
    public List<AlertRouteDocument>? Routes { get; set; }
    public string? Runbook { get; set; }
    public EscalationDocument? Escalation { get; set; }
    public string? Summary { get; set; }
}

public sealed class AnomalyDocument
{
    public string? ZScore { get; set; }
    public string? Alpha { get; set; }
    public string? WarmUp { get; set; }
    public string? ClearZScore { get; set; }
}

public sealed class EscalationDocument
{
    public string? After { get; set; }
    public string? Repeat { get; set; }
    public string? Mention { get; set; }
}

public sealed class AlertRouteDocument
{
    public string? Platform { get; set; }
    public string? Channel { get; set; }
}

public sealed class ScheduledCommandDocument
{
    public string? Name { get; set; }
    public string? Cron { get; set; }
    public string? Command { get; set; }
    public AlertRouteDocument? Route { get; set; }
}
