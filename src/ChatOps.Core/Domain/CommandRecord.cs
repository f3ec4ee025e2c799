namespace ChatOps.Core.Domain;

/// <summary>
/// One command on one server, as the store keeps it. <see cref="Id"/> is unique (the store's
/// constraint): a redelivered request can never create a second execution.
/// </summary>
public sealed record CommandRecord
{
    /// <summary>Unique id shown in chat as <c>#id</c>; equals <see cref="RequestId"/> for a single target.</summary>
    public required string Id { get; init; }

    /// <summary>The id the chat ingress gave the request; shared by the children of a fan-out.</summary>
    public required string RequestId { get; init; }

    public required string ServerId { get; init; }
    public required string CommandName { get; init; }

    /// <summary>The agent allowlist action this command maps to, when it runs on an agent.</summary>
    public string? Action { get; init; }

    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();
    public required string Text { get; init; }
    public required Requester Requester { get; init; }
    public required ChatRef ReplyTo { get; init; }
    public required CommandState State { get; init; }
    public long? FencingToken { get; init; }
    public int? ExitCode { get; init; }

    /// <summary>Why it failed, in words fit for chat.</summary>
    public string? Error { get; init; }

    public required TimeSpan Timeout { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>The fields a state transition may set; null leaves a field as it is.</summary>
public sealed record CommandUpdate
{
    public long? FencingToken { get; init; }
    public int? ExitCode { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>A piece of a command's output, numbered by the agent so redelivery never doubles it.</summary>
public sealed record OutputChunk(string CommandId, long Seq, string Stream, string Text, DateTimeOffset At);
