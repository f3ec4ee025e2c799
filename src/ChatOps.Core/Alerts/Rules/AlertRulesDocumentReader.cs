using System.Globalization;
using ChatOps.Core.Alerts.Scheduling;
using ChatOps.Core.Commands;

namespace ChatOps.Core.Alerts.Rules;

/// <summary>The rules and schedules read from a document, or every problem found (each naming the rule and field).</summary>
public sealed record AlertRulesReadResult(IReadOnlyList<AlertRule> Rules, IReadOnlyList<ScheduledCommand> Schedules, IReadOnlyList<string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>Turns people's text (<see cref="AlertRulesDocument"/>) into checked <see cref="AlertRule"/>s.</summary>
public static class AlertRulesDocumentReader
{
    public static AlertRulesReadResult Read(AlertRulesDocument? document)
    {
        var errors = new List<string>();
        var rules = new List<AlertRule>();
        var schedules = new List<ScheduledCommand>();
        var ruleDocuments = document?.Rules ?? [];
        for (var i = 0; i < ruleDocuments.Count; i++)
        {
            var label = $"rule '{ruleDocuments[i]?.Name ?? "?"}' (#{i + 1})";
            var (rule, problems) = ReadRule(ruleDocuments[i]);
            errors.AddRange(problems.Select(p => $"{label}: {p}"));
            if (rule is null) continue;
            if (rules.Any(r => r.Name == rule.Name)) errors.Add($"{label}: field 'name': '{rule.Name}' is defined twice");
            else rules.Add(rule);
        }

        var scheduleDocuments = document?.Schedules ?? [];
        for (var i = 0; i < scheduleDocuments.Count; i++)
        {
            var label = $"schedule '{scheduleDocuments[i]?.Name ?? "?"}' (#{i + 1})";
            var (schedule, problems) = ReadSchedule(scheduleDocuments[i]);
            errors.AddRange(problems.Select(p => $"{label}: {p}"));
            if (schedule is null) continue;
            if (schedules.Any(s => s.Name == schedule.Name)) errors.Add($"{label}: field 'name': '{schedule.Name}' is defined twice");
            else schedules.Add(schedule);
        }

        return new AlertRulesReadResult(rules, schedules, errors);
    }

    /// <summary>One rule (from the file or the REST API); the problems name fields, not the rule.</summary>
    public static (AlertRule? Rule, IReadOnlyList<string> Errors) ReadRule(AlertRuleDocument? document)
    {
        var errors = new List<string>();
        if (document is null) return (null, ["the rule is empty"]);
        void Field(string field, string problem) => errors.Add($"field '{field}': {problem}");

        var comparator = AlertComparator.GreaterThan;
        if (document.Comparator is not null && !AlertComparators.TryParse(document.Comparator, out comparator))
            Field("comparator", $"'{document.Comparator}' is not one of >, >=, <, <=");
        var severity = AlertSeverity.Warning;
        if (document.Severity is not null && (!Enum.TryParse(document.Severity, ignoreCase: true, out severity) || !Enum.IsDefined(severity)))
            Field("severity", $"'{document.Severity}' is not one of info, warning, critical");

        AnomalySettings? anomaly = null;
        if (document.Anomaly is { } a)
        {
            var z = Number(a.ZScore, "anomaly.z_score", errors, required: true) ?? 0;
            var alpha = Number(a.Alpha, "anomaly.alpha", errors) ?? 0.3;
            var warmUp = Number(a.WarmUp, "anomaly.warm_up", errors) ?? 10;
            anomaly = new AnomalySettings(z, alpha, (int)Math.Clamp(warmUp, int.MinValue, int.MaxValue), Number(a.ClearZScore, "anomaly.clear_z_score", errors));
        }

        EscalationSettings? escalation = null;
        if (document.Escalation is { } e)
        {
            escalation = new EscalationSettings(
                Duration(e.After, "escalation.after", errors) ?? TimeSpan.Zero,
                Duration(e.Repeat, "escalation.repeat", errors) ?? Duration(e.After, "escalation.after", []) ?? TimeSpan.Zero,
                e.Mention ?? "");
        }

        if (document.Name is null) Field("name", "is required");
        if (document.Metric is null) Field("metric", "is required");
        var rule = new AlertRule
        {
            Name = document.Name ?? "",
            Metric = document.Metric ?? "",
            Labels = document.Labels ?? new Dictionary<string, string>(),
            Target = document.Target ?? "*",
            Comparator = comparator,
            Threshold = Number(document.Threshold, "threshold", errors),
            For = Duration(document.For, "for", errors) ?? TimeSpan.Zero,
            ClearThreshold = Number(document.Clear, "clear", errors),
            ClearFor = Duration(document.ClearFor, "clear_for", errors) ?? TimeSpan.Zero,
            Severity = severity,
            NoDataAfter = Duration(document.NoData, "no_data", errors),
            Anomaly = anomaly,
            Routes = (document.Routes ?? []).Select(r => new AlertRoute(r?.Platform?.Trim().ToLowerInvariant() ?? "", r?.Channel?.Trim() ?? "")).ToList(),
            Runbook = document.Runbook,
            Escalation = escalation,
            Summary = document.Summary,
        };

        // Field problems from reading first; the validator's checks only make sense on what was read.
        if (errors.Count == 0) errors.AddRange(AlertRuleValidator.Check(rule));
        return errors.Count == 0 ? (rule, errors) : (null, errors);
    }

    public static (ScheduledCommand? Schedule, IReadOnlyList<string> Errors) ReadSchedule(ScheduledCommandDocument? document)
    {
        if (document is null) return (null, ["the schedule is empty"]);
        var errors = new List<string>();
        if (document.Name is null || !TargetSelector.TryParse(document.Name, out var name, out _) || name.Kind != TargetKind.Id)
            errors.Add("field 'name': must be lowercase letters, digits, '.', '_' or '-'");
        if (string.IsNullOrWhiteSpace(document.Cron)) errors.Add("field 'cron': is required, e.g. \"0 0 3 * * ?\" (Quartz cron with seconds)");
        if (string.IsNullOrWhiteSpace(document.Command) || document.Command.Length > AlertRuleValidator.MaxRunbookLength || document.Command.Any(char.IsControl))
            errors.Add($"field 'command': must be one line of 1-{AlertRuleValidator.MaxRunbookLength} characters, e.g. \"run role:web df\"");
        var platform = document.Route?.Platform?.Trim().ToLowerInvariant();
        if (platform is not ("web" or "slack" or "teams")) errors.Add("field 'route.platform': must be web, slack or teams");
        if (string.IsNullOrWhiteSpace(document.Route?.Channel)) errors.Add("field 'route.channel': is required");
        return errors.Count > 0
            ? (null, errors)
            : (new ScheduledCommand(document.Name!, document.Cron!.Trim(), document.Command!.Trim(), new AlertRoute(platform!, document.Route!.Channel!.Trim())), errors);
    }

    private static double? Number(string? text, string field, List<string> errors, bool required = false)
    {
        if (text is null)
        {
            if (required) errors.Add($"field '{field}': is required");
            return null;
        }

        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
        errors.Add($"field '{field}': '{text}' is not a number");
        return null;
    }

    /// <summary>A duration as in chat (<c>90s</c>, <c>5m</c>, <c>1h30m</c>), or <c>0</c>.</summary>
    private static TimeSpan? Duration(string? text, string field, List<string> errors)
    {
        if (text is null) return null;
        var trimmed = text.Trim();
        if (trimmed is "0" or "0s" or "0m") return TimeSpan.Zero;
        if (DurationParser.TryParse(trimmed, out var duration, out var error)) return duration;
        errors.Add($"field '{field}': {error}");
        return null;
    }
}
