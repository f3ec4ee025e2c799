namespace ChatOps.Core.Events;

/// <summary>The five topic names fixed by the product spec. Keys are noted beside each.</summary>
public static class Topics
{
    /// <summary>Metric sample batches from agents; key = server id.</summary>
    public const string Metrics = "metrics-topic";

    /// <summary>Alert lifecycle; key = alert fingerprint.</summary>
    public const string Alerts = "alerts-topic";

    /// <summary>Command lifecycle; key = server id, so one server's commands stay in order.</summary>
    public const string Commands = "commands-topic";

    /// <summary>Connection events, audit log, system events; key = entity id.</summary>
    public const string Events = "events-topic";

    /// <summary>Application and agent logs; key = server id.</summary>
    public const string Logs = "logs-topic";

    public static readonly IReadOnlyList<string> All = [Metrics, Alerts, Commands, Events, Logs];

    /// <summary>Where a consumer parks a message its handler could not process.</summary>
    public static string DeadLetter(string topic) => topic + ".dlq";
}
