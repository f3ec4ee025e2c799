using ChatOps.Core.Domain;

namespace ChatOps.Core.Ports;

/// <summary>What kind of thread reply a message is; adapters style and pace them differently.</summary>
public enum ReplyKind
{
    /// <summary>A piece of command output (adapters may batch these).</summary>
    Output,

    /// <summary>A lifecycle line: queued, waiting for a lock, started, finished.</summary>
    Status,

    /// <summary>Something went wrong, in words fit for the user.</summary>
    Error,
}

/// <summary>A reply into a thread. <see cref="DedupeKey"/> makes a redelivered post a no-op.</summary>
public sealed record ChatReply(string Text, ReplyKind Kind, string DedupeKey);

/// <summary>The summary of a command that a thread's root message shows, updated in place.</summary>
public sealed record CommandView(
    string CommandId,
    string ServerId,
    string CommandText,
    string RequestedBy,
    CommandState State,
    int? ExitCode,
    TimeSpan? Duration,
    string? Error);

/// <summary>
/// Posting into a chat platform (<see cref="Platform"/> = <c>web</c>, <c>slack</c>, <c>teams</c>).
/// Failure contract: transient failures (rate limits, 5xx) are retried or queued by the adapter, so a
/// call that returns has been delivered or durably queued; a final failure (channel gone, not allowed)
/// throws <see cref="ChatDeliveryException"/> with the platform's error code.
/// </summary>
public interface IChatClient
{
    string Platform { get; }

    Task PostReplyAsync(ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default);

    Task UpdateCommandAsync(ChatRef thread, CommandView view, CancellationToken cancellationToken = default);

    /// <summary>
    /// False when <see cref="UpdateCommandAsync"/> uses only the state, exit code, duration and error:
    /// the notifier then skips reading the command (server, text, requester) from the store.
    /// </summary>
    bool ShowsCommandDetails => true;
}

public sealed class ChatDeliveryException(string platform, string errorCode, string message) : Exception(message)
{
    public string Platform { get; } = platform;
    public string ErrorCode { get; } = errorCode;
}
