using ChatOps.Conformance.Store;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Ports;

namespace ChatOps.Conformance.Alerts;

/// <summary>Records and assertions shared by the alerting store suites.</summary>
public static class AlertTestData
{
    // Whole milliseconds: every adapter keeps at least that (PostgreSQL keeps microseconds).
    public static readonly DateTimeOffset T0 = StoreTestData.T0;

    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    /// <summary>A firing alert with every field set to something other than its default.</summary>
    public static AlertRecord Alert(string id, string fingerprint = "fp-1", string server = "web-1", AlertState state = AlertState.Firing) => new()
    {
        Id = id,
        Fingerprint = fingerprint,
        RuleName = "disk-full",
        ServerId = server,
        Labels = new Dictionary<string, string> { ["mount"] = "/var", ["device"] = "nvme0n1p2", ["quote"] = "a \"b\" \\ ünï" },
        Condition = AlertCondition.Threshold,
        Severity = AlertSeverity.Critical,
        State = state,
        Value = 93.5,
        Detail = "z = 4.0",
        Terms = new AlertTerms("disk_used_percent", AlertComparator.GreaterOrEqual, 90, 85, "disk nearly full",
            [new AlertRoute("web", "ops"), new AlertRoute("email", "oncall@example.com")], "run web-1 df",
            new EscalationSettings(TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), "@oncall")),
        StartedAt = T0,
        FiredAt = T0.AddMinutes(5),
        ClearSince = T0.AddMinutes(7),
        LastSampleAt = T0.AddMinutes(6),
        AcknowledgedAt = T0.AddMinutes(8),
        AcknowledgedBy = "olivia",
        ResolvedAt = state == AlertState.Resolved ? T0.AddMinutes(30) : null,
        ResolvedBy = state == AlertState.Resolved ? "oscar" : null,
        Escalations = 2,
        LastEscalatedAt = T0.AddMinutes(20),
        SilencedBy = "s1",
        PendingEvent = AlertEventTypes.Fired,
        Version = 1,
        UpdatedAt = T0.AddMinutes(5),
    };

    /// <summary>A pending no-data alert with only the required fields set.</summary>
    public static AlertRecord MinimalAlert(string id, string fingerprint = "fp-min") => new()
    {
        Id = id,
        Fingerprint = fingerprint,
        RuleName = "agent-silent",
        ServerId = "db-1",
        Condition = AlertCondition.NoData,
        Severity = AlertSeverity.Info,
        State = AlertState.Pending,
        Terms = new AlertTerms("heartbeat", AlertComparator.LessThan, null, null, null, [], null, null),
        StartedAt = T0,
        UpdatedAt = T0,
    };

    /// <summary>A rule with every field set to something other than its default.</summary>
    public static AlertRule Rule(string name) => new()
    {
        Name = name,
        Metric = "load1",
        Labels = new Dictionary<string, string> { ["cpu"] = "all", ["host"] = "web-1" },
        Target = "role:web",
        Comparator = AlertComparator.LessOrEqual,
        Threshold = 0.25,
        For = TimeSpan.FromMinutes(2),
        ClearThreshold = 0.5,
        ClearFor = TimeSpan.FromSeconds(30),
        Severity = AlertSeverity.Info,
        NoDataAfter = TimeSpan.FromMinutes(10),
        Anomaly = new AnomalySettings(3.5, 0.25, 30, 1),
        Routes = [new AlertRoute("teams", "19:abc@thread.tacv2"), new AlertRoute("webhook", "https://hooks.example.com/x")],
        Runbook = "run {server} uptime",
        Escalation = new EscalationSettings(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), "@oncall"),
        Summary = "load is unusual",
    };

    public static OutboxMessage Message(string alertId, string @event = "fired", DateTimeOffset? due = null) => new()
    {
        Key = new NotificationKey(alertId, "email:oncall@example.com", @event),
        Platform = "email",
        Destination = "oncall@example.com",
        Title = "[CRITICAL] disk-full on web-1",
        Body = "body",
        Payload = """{"alert":"a1","state":"firing"}""",
        NextAttemptAt = due ?? T0,
        CreatedAt = T0,
    };

    /// <summary>Every field equal; maps by content and lists by sequence (records compare them by reference).</summary>
    public static void AssertSameAlert(AlertRecord expected, AlertRecord? actual)
    {
        Assert.NotNull(actual);
        StoreTestData.AssertSameMap(expected.Labels, actual.Labels);
        Assert.Equal(expected.Terms.Routes, actual.Terms.Routes);

        // The rest by record equality, so a field added to AlertRecord later is compared too.
        Assert.Equal(expected, actual with { Labels = expected.Labels, Terms = actual.Terms with { Routes = expected.Terms.Routes } });
    }

    public static void AssertSameRule(AlertRule expected, AlertRule? actual)
    {
        Assert.NotNull(actual);
        StoreTestData.AssertSameMap(expected.Labels, actual.Labels);
        Assert.Equal(expected.Routes, actual.Routes);
        Assert.Equal(expected, actual with { Labels = expected.Labels, Routes = expected.Routes });
    }
}
