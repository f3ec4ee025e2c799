namespace ChatOps.Core.Alerts.Rules;

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

public enum AlertComparator
{
    GreaterThan,
    GreaterOrEqual,
    LessThan,
    LessOrEqual,
}

/// <summary>
/// Where an alert is announced: a chat platform and its channel (<c>web</c>/<c>slack</c>/<c>teams</c>
/// and a channel id), or <c>email</c> and an address, or <c>webhook</c> and a URL.
/// </summary>
public sealed record AlertRoute(string Platform, string Channel)
{
    /// <summary>The route's identity in the notification ledger.</summary>
    public string Key => Platform + ":" + Channel;
}

/// <summary>
/// Anomaly mode: the value is compared with an EWMA baseline instead of a fixed threshold. It breaches
/// when its z-score passes <see cref="ZScore"/> in the rule's direction (<c>&gt;</c> for spikes,
/// <c>&lt;</c> for drops) and clears back within <see cref="ClearZScore"/> (default half the bound).
/// Nothing fires during the first <see cref="WarmUpSamples"/> samples.
/// </summary>
public sealed record AnomalySettings(double ZScore, double Alpha = 0.3, int WarmUpSamples = 10, double? ClearZScore = null)
{
    public double EffectiveClearZScore => ClearZScore ?? ZScore / 2;
}

/// <summary>Not acknowledged within <see cref="After"/>: mention <see cref="Mention"/>, again every <see cref="Repeat"/>.</summary>
public sealed record EscalationSettings(TimeSpan After, TimeSpan Repeat, string Mention);

/// <summary>
/// An alert rule, as data (from the rules file, the store, the admin page). A rule is evaluated per
/// server matched by <see cref="Target"/> and per label set of the metric's samples, each with its own
/// fingerprint (rule + server + labels).
/// </summary>
public sealed record AlertRule
{
    /// <summary>Unique; lowercase letters, digits and <c>. _ -</c>.</summary>
    public required string Name { get; init; }

    /// <summary>A metric the agents report, e.g. <c>cpu_percent</c>, <c>disk_used_percent</c>.</summary>
    public required string Metric { get; init; }

    /// <summary>Only samples carrying all these labels, e.g. <c>mount=/</c>.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>A server id, a glob (<c>web-*</c>, <c>*</c> for all) or a tag (<c>role:web</c>).</summary>
    public string Target { get; init; } = "*";

    public AlertComparator Comparator { get; init; } = AlertComparator.GreaterThan;

    /// <summary>The bound the value is compared with; null for a rule that only watches for no-data (or uses <see cref="Anomaly"/>).</summary>
    public double? Threshold { get; init; }

    /// <summary>How long the breach must last before the alert fires (pending meanwhile).</summary>
    public TimeSpan For { get; init; }

    /// <summary>Hysteresis: a firing alert clears only once the value no longer passes this (default: the threshold).</summary>
    public double? ClearThreshold { get; init; }

    /// <summary>Damping: the value must stay clear this long before the alert resolves.</summary>
    public TimeSpan ClearFor { get; init; }

    public AlertSeverity Severity { get; init; } = AlertSeverity.Warning;

    /// <summary>Fire a no-data alert when a matched server reported no sample of the metric for this long.</summary>
    public TimeSpan? NoDataAfter { get; init; }

    /// <summary>Anomaly mode instead of <see cref="Threshold"/>; the comparator gives the direction.</summary>
    public AnomalySettings? Anomaly { get; init; }

    public IReadOnlyList<AlertRoute> Routes { get; init; } = [];

    /// <summary>A chat command offered as the "Run runbook" button; <c>{server}</c> is replaced by the server id.</summary>
    public string? Runbook { get; init; }

    /// <summary>Overrides <c>ChatOps:Alerts:Escalation</c> for this rule.</summary>
    public EscalationSettings? Escalation { get; init; }

    /// <summary>A sentence for people, shown on the alert.</summary>
    public string? Summary { get; init; }
}

public static class AlertComparators
{
    public static string Symbol(this AlertComparator comparator) => comparator switch
    {
        AlertComparator.GreaterThan => ">",
        AlertComparator.GreaterOrEqual => ">=",
        AlertComparator.LessThan => "<",
        AlertComparator.LessOrEqual => "<=",
        _ => "?",
    };

    public static bool TryParse(string? text, out AlertComparator comparator)
    {
        comparator = AlertComparator.GreaterThan;
        switch (text?.Trim())
        {
            case ">" or "gt": comparator = AlertComparator.GreaterThan; return true;
            case ">=" or "ge" or "gte": comparator = AlertComparator.GreaterOrEqual; return true;
            case "<" or "lt": comparator = AlertComparator.LessThan; return true;
            case "<=" or "le" or "lte": comparator = AlertComparator.LessOrEqual; return true;
            default: return false;
        }
    }

    /// <summary>True when <paramref name="value"/> passes <paramref name="bound"/> in the comparator's direction.</summary>
    public static bool Holds(this AlertComparator comparator, double value, double bound) => comparator switch
    {
        AlertComparator.GreaterThan => value > bound,
        AlertComparator.GreaterOrEqual => value >= bound,
        AlertComparator.LessThan => value < bound,
        AlertComparator.LessOrEqual => value <= bound,
        _ => false,
    };

    public static bool IsUpward(this AlertComparator comparator) =>
        comparator is AlertComparator.GreaterThan or AlertComparator.GreaterOrEqual;
}
