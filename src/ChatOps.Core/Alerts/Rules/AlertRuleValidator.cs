using System.Text.RegularExpressions;
using ChatOps.Core.Commands;

namespace ChatOps.Core.Alerts.Rules;

/// <summary>What makes an <see cref="AlertRule"/> usable. Each problem names the field, for the log line or the API answer.</summary>
public static partial class AlertRuleValidator
{
    public const int MaxRunbookLength = 500;
    public const int MaxSummaryLength = 500;
    public static readonly IReadOnlyList<string> Platforms = ["web", "slack", "teams", "email", "webhook"];

    public static IReadOnlyList<string> Check(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var problems = new List<string>();
        void Field(string field, string problem) => problems.Add($"field '{field}': {problem}");

        if (rule.Name is null || !Name().IsMatch(rule.Name))
            Field("name", "must be 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (rule.Metric is null || !Metric().IsMatch(rule.Metric))
            Field("metric", "must be a metric name such as cpu_percent (letters, digits, '_' and ':')");
        foreach (var (key, value) in rule.Labels ?? new Dictionary<string, string>())
        {
            if (!Metric().IsMatch(key)) Field("labels", $"'{key}' is not a label name");
            if (value is null || value.Length > 256) Field("labels", $"the value of '{key}' must be 1-256 characters");
        }

        if (!TargetSelector.TryParse(rule.Target, out _, out var targetError)) Field("target", targetError);
        if (rule.Threshold is { } threshold && !double.IsFinite(threshold)) Field("threshold", "must be a finite number");
        if (rule.Threshold is not null && rule.Anomaly is not null) Field("threshold", "use either a threshold or anomaly, not both");
        if (rule.Threshold is null && rule.Anomaly is null && rule.NoDataAfter is null) Field("threshold", "is required (or give anomaly or no_data)");
        if (rule.For < TimeSpan.Zero) Field("for", "must not be negative");
        if (rule.ClearFor < TimeSpan.Zero) Field("clear_for", "must not be negative");
        if (rule.ClearThreshold is { } clear)
        {
            if (!double.IsFinite(clear)) Field("clear", "must be a finite number");
            else if (rule.Threshold is not { } bound) Field("clear", "needs a threshold (for anomaly rules use anomaly.clear_z_score)");
            else if (rule.Comparator.IsUpward() && clear > bound)
                Field("clear", $"must not be above the threshold {bound} for a '{rule.Comparator.Symbol()}' rule (it is where the alert clears)");
            else if (!rule.Comparator.IsUpward() && clear < bound)
                Field("clear", $"must not be below the threshold {bound} for a '{rule.Comparator.Symbol()}' rule (it is where the alert clears)");
        }

        if (rule.NoDataAfter is { } noData && noData <= TimeSpan.Zero) Field("no_data", "must be positive");
        if (rule.Anomaly is { } anomaly)
        {
            if (!(anomaly.ZScore > 0) || !double.IsFinite(anomaly.ZScore)) Field("anomaly.z_score", "must be a positive number");
            if (!(anomaly.Alpha > 0 && anomaly.Alpha <= 1)) Field("anomaly.alpha", "must be in (0, 1]");
            if (anomaly.WarmUpSamples < 2) Field("anomaly.warm_up", "must be at least 2 samples");
            if (anomaly.ClearZScore is { } clearZ && !(clearZ >= 0 && clearZ <= anomaly.ZScore))
                Field("anomaly.clear_z_score", "must be between 0 and z_score");
        }

        var routes = rule.Routes ?? [];
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            var field = $"routes[{i}]";
            if (route is null)
            {
                Field(field, "is empty");
                continue;
            }

            if (route.Platform is null || !Platform().IsMatch(route.Platform))
                Field(field + ".platform", $"must be a platform name (e.g. {string.Join(", ", Platforms)})");
            if (string.IsNullOrWhiteSpace(route.Channel) || route.Channel.Length > 512)
                Field(field + ".channel", "must be 1-512 characters");
            else if (route.Platform == "email" && !Email().IsMatch(route.Channel))
                Field(field + ".channel", $"'{route.Channel}' is not an email address");
            else if (route.Platform == "webhook" && !IsHttpUrl(route.Channel))
                Field(field + ".channel", $"'{route.Channel}' is not an absolute http(s) URL");
        }

        if (routes.Select(r => r?.Key).Distinct().Count() != routes.Count) Field("routes", "lists the same route twice");
        if (rule.Runbook is { } runbook && (string.IsNullOrWhiteSpace(runbook) || runbook.Length > MaxRunbookLength || runbook.Any(char.IsControl)))
            Field("runbook", $"must be one line of 1-{MaxRunbookLength} characters");
        if (rule.Summary is { Length: > MaxSummaryLength }) Field("summary", $"is longer than {MaxSummaryLength} characters");
        if (rule.Escalation is { } escalation)
        {
            if (escalation.After <= TimeSpan.Zero) Field("escalation.after", "must be positive");
            if (escalation.Repeat <= TimeSpan.Zero) Field("escalation.repeat", "must be positive");
            if (string.IsNullOrWhiteSpace(escalation.Mention)) Field("escalation.mention", "names the on-call group to mention, e.g. @oncall");
        }

        return problems;
    }

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex Name();

    [GeneratedRegex("^[A-Za-z_:][A-Za-z0-9_:]{0,127}$")]
    private static partial Regex Metric();

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,31}$")]
    private static partial Regex Platform();

    [GeneratedRegex(@"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")]
    private static partial Regex Email();
}
