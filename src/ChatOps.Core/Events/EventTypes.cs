namespace ChatOps.Core.Events;

/// <summary>Envelope type names. Past tense: each names something that happened.</summary>
public static class EventTypes
{
    // commands-topic
    public const string CommandRequested = "command.requested";
    public const string CommandWaiting = "command.waiting";
    public const string CommandDispatched = "command.dispatched";
    public const string CommandStarted = "command.started";
    public const string CommandOutput = "command.output";
    public const string CommandCompleted = "command.completed";
    public const string CommandFailed = "command.failed";
    public const string CommandCancelRequested = "command.cancel_requested";

    // metrics-topic
    public const string MetricsReported = "metrics.reported";

    // events-topic
    public const string AgentConnected = "agent.connected";
    public const string AgentDisconnected = "agent.disconnected";
    public const string AuditRecorded = "audit.recorded";
}
