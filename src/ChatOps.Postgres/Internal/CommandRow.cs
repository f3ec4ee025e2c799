using ChatOps.Core.Domain;

namespace ChatOps.Postgres.Internal;

/// <summary>A <c>commands</c> row as Dapper reads it (columns aliased to these names).</summary>
internal sealed class CommandRow
{
    public const string Columns = """
        id AS Id, request_id AS RequestId, server_id AS ServerId, command_name AS CommandName,
        action AS Action, args::text AS Args, text AS Text, requester_user_id AS RequesterUserId,
        requester_identity AS RequesterIdentity, requester_display_name AS RequesterDisplayName,
        reply_to::text AS ReplyTo, state AS State, fencing_token AS FencingToken, exit_code AS ExitCode,
        error AS Error, timeout_ms AS TimeoutMs, created_at AS CreatedAt, started_at AS StartedAt,
        finished_at AS FinishedAt
        """;

    public string Id { get; init; } = "";
    public string RequestId { get; init; } = "";
    public string ServerId { get; init; } = "";
    public string CommandName { get; init; } = "";
    public string? Action { get; init; }
    public string Args { get; init; } = "{}";
    public string Text { get; init; } = "";
    public string RequesterUserId { get; init; } = "";
    public string RequesterIdentity { get; init; } = "";
    public string RequesterDisplayName { get; init; } = "";
    public string ReplyTo { get; init; } = "";
    public string State { get; init; } = "";
    public long? FencingToken { get; init; }
    public int? ExitCode { get; init; }
    public string? Error { get; init; }
    public long TimeoutMs { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? FinishedAt { get; init; }

    public static object ToParameters(CommandRecord command) => new
    {
        command.Id,
        command.RequestId,
        command.ServerId,
        command.CommandName,
        command.Action,
        Args = PostgresJson.FromMap(command.Args),
        command.Text,
        RequesterUserId = command.Requester.UserId,
        RequesterIdentity = command.Requester.Identity,
        RequesterDisplayName = command.Requester.DisplayName,
        ReplyTo = PostgresJson.FromChatRef(command.ReplyTo),
        State = CommandStateText.ToText(command.State),
        command.FencingToken,
        command.ExitCode,
        command.Error,
        TimeoutMs = command.Timeout.Ticks / TimeSpan.TicksPerMillisecond,
        CreatedAt = PostgresTime.ToDb(command.CreatedAt),
        StartedAt = PostgresTime.ToDb(command.StartedAt),
        FinishedAt = PostgresTime.ToDb(command.FinishedAt),
    };

    public CommandRecord ToRecord() => new()
    {
        Id = Id,
        RequestId = RequestId,
        ServerId = ServerId,
        CommandName = CommandName,
        Action = Action,
        Args = PostgresJson.ToMap(Args, "commands.args"),
        Text = Text,
        Requester = new Requester(RequesterUserId, RequesterIdentity, RequesterDisplayName),
        ReplyTo = PostgresJson.ToChatRef(ReplyTo, "commands.reply_to"),
        State = CommandStateText.FromText(State),
        FencingToken = FencingToken,
        ExitCode = ExitCode,
        Error = Error,
        Timeout = TimeSpan.FromMilliseconds(TimeoutMs),
        CreatedAt = PostgresTime.FromDb(CreatedAt),
        StartedAt = PostgresTime.FromDb(StartedAt),
        FinishedAt = PostgresTime.FromDb(FinishedAt),
    };
}
