using ChatOps.Core.Ports;

namespace ChatOps.Conformance.Alerts;

/// <summary>The five alerting store ports of one adapter, all over the same database (or schema).</summary>
public sealed record AlertingStores(
    IAlertStore Alerts,
    IAlertRuleStore Rules,
    ISilenceStore Silences,
    INotificationLedger Ledger,
    INotificationOutbox Outbox);
