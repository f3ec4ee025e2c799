using System.Globalization;
using System.Text;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Commands;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Alerts.Notifications;

/// <summary>How an alert reads in chat: the root card, its buttons, and the reply for each event.</summary>
public static class AlertCards
{
    public static AlertCard For(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var since = alert.FiredAt ?? alert.StartedAt;
        var duration = alert.ResolvedAt is { } resolvedAt ? resolvedAt - since : (TimeSpan?)null;
        var title = $"{Icon(alert)} {alert.Severity.ToString().ToUpperInvariant()} · {alert.RuleName} on {alert.ServerId} · {StateWord(alert)}";
        var value = alert.Value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : null;
        var condition = Condition(alert);
        var actions = Actions(alert);

        var text = new StringBuilder(title).Append('\n');
        text.Append(alert.Condition == AlertCondition.NoData
            ? $"{alert.Terms.Metric}{Labels(alert)}: {alert.Detail ?? "no data"}"
            : $"{alert.Terms.Metric}{Labels(alert)} = {value ?? "?"} ({condition}){(alert.Detail is null ? "" : $", {alert.Detail}")}");
        text.Append(CultureInfo.InvariantCulture, $"\nsince {since:yyyy-MM-dd HH:mm:ss} UTC");
        if (duration is { } d) text.Append(", lasted ").Append(AlertLifecycle.FormatDuration(d));
        if (alert.AcknowledgedBy is { } by) text.Append(" · acknowledged by ").Append(by);
        if (alert.SilencedBy is { } silence) text.Append(" · silenced (").Append(silence).Append(')');
        if (alert.Terms.Summary is { } summary) text.Append('\n').Append(TextHygiene.Escape(summary));
        text.Append(CultureInfo.InvariantCulture, $"\nalert #{alert.Id} · fingerprint {alert.Fingerprint}");
        if (actions.Count > 0) text.Append("\nActions: ").Append(string.Join(" · ", actions.Select(a => $"{a.Label} → `{a.Command}`")));

        return new AlertCard(alert.Id, alert.Fingerprint, alert.RuleName, alert.ServerId, alert.Severity, alert.State, title, value,
            condition, since, duration, alert.AcknowledgedBy, text.ToString(), actions);
    }

    /// <summary>The buttons: each a chat command run as the person who clicks it.</summary>
    public static IReadOnlyList<AlertAction> Actions(AlertRecord alert)
    {
        if (!alert.IsOpen) return [];
        var actions = new List<AlertAction>();
        if (alert.State == AlertState.Firing) actions.Add(new AlertAction(AlertActionKind.Acknowledge, "Ack", $"ack {alert.Id}"));
        actions.Add(new AlertAction(AlertActionKind.Resolve, "Resolve", $"resolve {alert.Id}"));
        if (alert.Terms.Runbook is { } runbook) actions.Add(new AlertAction(AlertActionKind.RunRunbook, "Run runbook", runbook));
        if (alert.SilencedBy is null)
            actions.Add(new AlertAction(AlertActionKind.Silence, "Silence 1h", $"silence {alert.ServerId} 1h --rule {alert.RuleName} \"from alert {alert.Id}\""));
        return actions;
    }

    public static string FiredReply(AlertRecord alert) =>
        $"🔥 #{alert.Id} is firing: {Summary(alert)}.";

    public static string AcknowledgedReply(AlertAcknowledged acknowledged) =>
        $"👀 #{acknowledged.Alert.Id} acknowledged by {acknowledged.By}.";

    public static string ResolvedReply(AlertResolved resolved) =>
        $"✅ #{resolved.Alert.Id} resolved {(resolved.By is { } by ? $"by {by}" : "(recovered)")} after {AlertLifecycle.FormatDuration(resolved.Duration)}"
        + (resolved.By is null && resolved.Alert.Value is { } value ? $"; now {value.ToString("0.##", CultureInfo.InvariantCulture)}." : ".");

    public static string EscalatedReply(AlertEscalated escalated) =>
        $"📣 {escalated.Mention} #{escalated.Alert.Id} has been firing for {AlertLifecycle.FormatDuration((escalated.Alert.LastEscalatedAt ?? escalated.Alert.UpdatedAt) - (escalated.Alert.FiredAt ?? escalated.Alert.StartedAt))} without an ack (call {escalated.Count}).";

    public static string SilencedReply(AlertSilenced silenced) =>
        $"🔕 #{silenced.Alert.Id} silenced by {silenced.By} until {silenced.Until:yyyy-MM-dd HH:mm} UTC{(silenced.Comment is { } c ? $": {TextHygiene.Escape(c)}" : "")}.";

    public static string Summary(AlertRecord alert) => alert.Condition == AlertCondition.NoData
        ? $"{alert.RuleName} on {alert.ServerId}, {alert.Detail ?? "no data"}"
        : $"{alert.RuleName} on {alert.ServerId}, {alert.Terms.Metric}{Labels(alert)} = {alert.Value?.ToString("0.##", CultureInfo.InvariantCulture) ?? "?"} ({Condition(alert)})";

    private static string Condition(AlertRecord alert) => alert.Condition switch
    {
        AlertCondition.NoData => "no data",
        AlertCondition.Anomaly => $"anomaly {(alert.Terms.Comparator.IsUpward() ? "above" : "below")} baseline",
        _ => $"threshold {alert.Terms.Comparator.Symbol()} {alert.Terms.Threshold?.ToString("0.##", CultureInfo.InvariantCulture) ?? "?"}",
    };

    private static string Labels(AlertRecord alert)
    {
        var shown = alert.Labels.Where(pair => pair.Key != AlertFingerprint.NoDataLabel).OrderBy(pair => pair.Key, StringComparer.Ordinal).ToList();
        return shown.Count == 0 ? "" : "{" + string.Join(",", shown.Select(pair => $"{pair.Key}=\"{pair.Value}\"")) + "}";
    }

    private static string StateWord(AlertRecord alert) => alert.State switch
    {
        AlertState.Firing when alert.SilencedBy is not null => "FIRING (silenced)",
        AlertState.Firing => "FIRING",
        AlertState.Acknowledged => "ACKNOWLEDGED",
        AlertState.Resolved => "RESOLVED",
        _ => "PENDING",
    };

    private static string Icon(AlertRecord alert) => alert.State switch
    {
        AlertState.Resolved => "✅",
        AlertState.Acknowledged => "👀",
        _ => alert.Severity switch
        {
            AlertSeverity.Critical => "🔴",
            AlertSeverity.Warning => "🟠",
            _ => "🔵",
        },
    };
}
