namespace ChatOps.Core.Alerts;

/// <summary><c>ChatOps:Alerts</c>: alert evaluation, notification and delivery settings.</summary>
public sealed class AlertOptions
{
    /// <summary>A YAML file of rules and scheduled commands, reloaded when it changes (<c>ChatOps:Alerts:RulesFile</c>).</summary>
    public string? RulesFile { get; set; }

    /// <summary>How often the rules file is checked for changes.</summary>
    public TimeSpan RulesReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the time-driven half runs: for-duration expiry, no-data, escalation, silences.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Flap damping: after an alert resolved, the same fingerprint does not open again for this long.</summary>
    public TimeSpan MinRefireInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>An event whose publishing was interrupted is published again after this long.</summary>
    public TimeSpan RepublishAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a notifier replica holds a claim before another may take over.</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Default escalation for rules without their own: after this long unacknowledged (null: no escalation).</summary>
    public TimeSpan? EscalationAfter { get; set; }

    public TimeSpan EscalationRepeat { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The on-call group mentioned on escalation, e.g. <c>@oncall</c>.</summary>
    public string? OnCallMention { get; set; }

    /// <summary>How often the email/webhook outbox is drained.</summary>
    public TimeSpan DeliveryInterval { get; set; } = TimeSpan.FromSeconds(5);

    public int DeliveryMaxAttempts { get; set; } = 8;
    public TimeSpan DeliveryInitialBackoff { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan DeliveryMaxBackoff { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The user scheduled commands run as (created with the operator role if missing).</summary>
    public string SchedulerUser { get; set; } = "scheduler";

    public IEnumerable<string> Validate()
    {
        if (RulesFile is { } file && string.IsNullOrWhiteSpace(file)) yield return "ChatOps:Alerts:RulesFile must not be blank";
        if (RulesReloadInterval < TimeSpan.FromMilliseconds(100)) yield return "ChatOps:Alerts:RulesReloadInterval must be at least 100 ms";
        if (TickInterval < TimeSpan.FromMilliseconds(100)) yield return "ChatOps:Alerts:TickInterval must be at least 100 ms";
        if (MinRefireInterval < TimeSpan.Zero) yield return "ChatOps:Alerts:MinRefireInterval must not be negative";
        if (RepublishAfter <= TimeSpan.Zero) yield return "ChatOps:Alerts:RepublishAfter must be positive";
        if (ClaimLease < TimeSpan.FromSeconds(1)) yield return "ChatOps:Alerts:ClaimLease must be at least 1 second";
        if (EscalationAfter is { } after && after <= TimeSpan.Zero) yield return "ChatOps:Alerts:EscalationAfter must be positive";
        if (EscalationRepeat <= TimeSpan.Zero) yield return "ChatOps:Alerts:EscalationRepeat must be positive";
        if (EscalationAfter is not null && string.IsNullOrWhiteSpace(OnCallMention))
            yield return "ChatOps:Alerts:OnCallMention is required when ChatOps:Alerts:EscalationAfter is set";
        if (DeliveryInterval < TimeSpan.FromMilliseconds(100)) yield return "ChatOps:Alerts:DeliveryInterval must be at least 100 ms";
        if (DeliveryMaxAttempts < 1) yield return "ChatOps:Alerts:DeliveryMaxAttempts must be at least 1";
        if (DeliveryInitialBackoff <= TimeSpan.Zero) yield return "ChatOps:Alerts:DeliveryInitialBackoff must be positive";
        if (DeliveryMaxBackoff < DeliveryInitialBackoff) yield return "ChatOps:Alerts:DeliveryMaxBackoff must not be below DeliveryInitialBackoff";
        if (string.IsNullOrWhiteSpace(SchedulerUser)) yield return "ChatOps:Alerts:SchedulerUser must not be empty";
    }

    /// <summary>The escalation of a rule: its own, else the default, else none.</summary>
    public Rules.EscalationSettings? EscalationFor(Rules.AlertRule rule) =>
        rule.Escalation ?? (EscalationAfter is { } after && OnCallMention is { Length: > 0 } mention
            ? new Rules.EscalationSettings(after, EscalationRepeat, mention)
            : null);
}
