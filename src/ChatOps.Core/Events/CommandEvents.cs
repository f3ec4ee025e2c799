using ChatOps.Core.Domain;

namespace ChatOps.Core.Events;

// Payloads of commands-topic (key = server id, or the target expression before fan-out).
// Every lifecycle event carries ReplyTo so the notification service needs nothing else to answer.

/// <summary>A person asked for a command. Published by a chat adapter after parsing and authentication.</summary>
public sealed record CommandRequested(
    string RequestId,
    string Text,
    string CommandName,
    string Target,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlyList<string> ActionArgs,
    IReadOnlyDictionary<string, string> Options,
    Requester Requester,
    ChatRef ReplyTo,
    DateTimeOffset RequestedAt);

/// <summary>The server's lock is held by another command; this one waits in the queue.</summary>
public sealed record CommandWaiting(string CommandId, string ServerId, string HeldBy, ChatRef ReplyTo);

/// <summary>The router sent the command to the gateway node holding the agent.</summary>
public sealed record CommandDispatched(string CommandId, string ServerId, string Action, long FencingToken, string NodeId, ChatRef ReplyTo);

/// <summary>The agent accepted the command and started it.</summary>
public sealed record CommandStarted(string CommandId, string ServerId, ChatRef ReplyTo);

/// <summary>A chunk of output, numbered by the agent.</summary>
public sealed record CommandOutput(string CommandId, string ServerId, long Seq, string Stream, string Text, ChatRef ReplyTo);

/// <summary>The command ran to its end. <see cref="Status"/> is one of <c>Agents.ResultStatuses</c>.</summary>
public sealed record CommandCompleted(string CommandId, string ServerId, string Status, int? ExitCode, long DurationMs, bool Truncated, ChatRef ReplyTo);

/// <summary>
/// The command could not run or finish. <see cref="Reason"/> is a stable code (see
/// <see cref="FailureReasons"/>); <see cref="Message"/> is the sentence shown in chat.
/// </summary>
public sealed record CommandFailed(string CommandId, string ServerId, string Reason, string Message, ChatRef ReplyTo);

/// <summary>Someone asked to cancel a command.</summary>
public sealed record CommandCancelRequested(string CommandId, string ServerId, Requester By, ChatRef ReplyTo);

public static class FailureReasons
{
    public const string UnknownServer = "unknown_server";
    public const string NoTargets = "no_targets";
    public const string AgentOffline = "agent_offline";
    public const string AgentDisconnected = "agent_disconnected";
    public const string AgentRefused = "agent_refused";
    public const string LockTimeout = "lock_timeout";
    public const string Forbidden = "forbidden";
    public const string Invalid = "invalid";
    public const string Timeout = "timeout";
    public const string Cancelled = "cancelled";
    public const string StateUnavailable = "state_unavailable";
    public const string ApprovalRequired = "approval_required";
}

// metrics-topic (key = server id)

/// <summary>A batch of samples an agent reported.</summary>
public sealed record MetricsReported(MetricSnapshot Snapshot);

// events-topic (key = entity id)

public sealed record AgentConnected(string ServerId, string NodeId, string ConnectionId, string AgentVersion, DateTimeOffset At);

public sealed record AgentDisconnected(string ServerId, string NodeId, string ConnectionId, string Reason, DateTimeOffset At);

public sealed record AuditRecorded(AuditEvent Event);
