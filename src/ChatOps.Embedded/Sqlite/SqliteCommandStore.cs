using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteCommandStore(SqliteConnectionFactory connections) : ICommandStore
{
    public Task<bool> TryCreateAsync(CommandRecord command, CancellationToken cancellationToken = default)
    {
        Validate(command);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO commands (
                id, request_id, server_id, command_name, action, args, text,
                requester_user_id, requester_identity, requester_display_name, reply_to, state,
                fencing_token, exit_code, error, timeout_ms, created_at, started_at, finished_at)
            VALUES (
                @Id, @RequestId, @ServerId, @CommandName, @Action, @Args, @Text,
                @RequesterUserId, @RequesterIdentity, @RequesterDisplayName, @ReplyTo, @State,
                @FencingToken, @ExitCode, @Error, @TimeoutMs, @CreatedAt, @StartedAt, @FinishedAt)
            ON CONFLICT (id) DO NOTHING
            """,
            CommandRow.ToParameters(command),
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public Task<CommandRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return connections.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<CommandRow>(new CommandDefinition(
                $"SELECT {CommandRow.Columns} FROM commands WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return row?.ToRecord();
        }, cancellationToken);
    }

    public Task<bool> TryTransitionAsync(string id, IReadOnlyCollection<CommandState> from, CommandState to, CommandUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(update);
        var fromStates = from.Select(CommandStateText.ToText).ToArray();
        var toState = CommandStateText.ToText(to);
        if (fromStates.Length == 0)
        {
            return Task.FromResult(false);
        }

        // One conditional UPDATE: the state check and the write are a single step, so of two
        // racing transitions out of the same state exactly one matches.
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE commands SET
                state = @toState,
                fencing_token = COALESCE(@FencingToken, fencing_token),
                exit_code = COALESCE(@ExitCode, exit_code),
                error = COALESCE(@Error, error),
                started_at = COALESCE(@StartedAt, started_at),
                finished_at = COALESCE(@FinishedAt, finished_at)
            WHERE id = @id AND state IN @fromStates
            """,
            new
            {
                id,
                toState,
                fromStates,
                update.FencingToken,
                update.ExitCode,
                update.Error,
                StartedAt = SqliteTime.ToText(update.StartedAt),
                FinishedAt = SqliteTime.ToText(update.FinishedAt),
            },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public Task<IReadOnlyList<CommandRecord>> ListByStateAsync(IReadOnlyCollection<CommandState> states, string? serverId = null, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var stateTexts = states.Select(CommandStateText.ToText).ToArray();
        if (stateTexts.Length == 0)
        {
            return Task.FromResult<IReadOnlyList<CommandRecord>>([]);
        }

        return QueryAsync(ByStateSql(serverId), new { stateTexts, serverId, limit }, cancellationToken);
    }

    internal static string ByStateSql(string? serverId) => $"""
        SELECT {CommandRow.Columns} FROM commands {ByServerAndState(serverId)}
        WHERE state IN @stateTexts {ServerFilter(serverId)}
        ORDER BY created_at, id LIMIT @limit
        """;

    public Task<IReadOnlyList<CommandRecord>> ListRecentAsync(string? serverId = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryAsync(
            $"""
            SELECT {CommandRow.Columns} FROM commands
            WHERE 1 = 1 {ServerFilter(serverId)}
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """,
            new { serverId, limit },
            cancellationToken);
    }

    public Task<IReadOnlyList<CommandRecord>> ListByRequestAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return QueryAsync(
            $"SELECT {CommandRow.Columns} FROM commands WHERE request_id = @requestId ORDER BY created_at, id",
            new { requestId },
            cancellationToken);
    }

    public Task AppendOutputAsync(OutputChunk chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(chunk.CommandId);
        ArgumentNullException.ThrowIfNull(chunk.Stream);
        ArgumentNullException.ThrowIfNull(chunk.Text);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO command_output (command_id, seq, stream, text, at) VALUES (@CommandId, @Seq, @Stream, @Text, @At)
                    ON CONFLICT (command_id, seq) DO NOTHING
                    """,
                    new { chunk.CommandId, chunk.Seq, chunk.Stream, chunk.Text, At = SqliteTime.ToText(chunk.At) },
                    transaction,
                    cancellationToken: cancellationToken));
            }
            catch (SqliteException ex) when (SqliteErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"output for unknown command '{chunk.CommandId}'", ex);
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<OutputChunk>> GetOutputAsync(string commandId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        return connections.ReadAsync<IReadOnlyList<OutputChunk>>(async connection =>
        {
            var rows = await connection.QueryAsync<OutputRow>(new CommandDefinition(
                """
                SELECT command_id AS CommandId, seq AS Seq, stream AS Stream, text AS Text, at AS At
                FROM command_output WHERE command_id = @commandId ORDER BY seq
                """,
                new { commandId },
                cancellationToken: cancellationToken));
            return rows.Select(row => new OutputChunk(row.CommandId, row.Seq, row.Stream, row.Text, SqliteTime.FromText(row.At))).ToList();
        }, cancellationToken);
    }

    private Task<IReadOnlyList<CommandRecord>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        connections.ReadAsync<IReadOnlyList<CommandRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<CommandRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return rows.Select(row => row.ToRecord()).ToList();
        }, cancellationToken);

    // A separate statement per case rather than "@serverId IS NULL OR ...", which keeps SQLite
    // from using the (server_id, created_at) index.
    // With more than one state SQLite's planner prefers (server_id, created_at), which walks the
    // server's whole history; the few active rows are found by seeking (server_id, state) instead.
    private static string ByServerAndState(string? serverId) => serverId is null ? "" : "INDEXED BY ix_commands_server_state_created_at";

    private static string ServerFilter(string? serverId) => serverId is null ? "" : "AND server_id = @serverId";

    private static void Validate(CommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentException.ThrowIfNullOrWhiteSpace(command.Id, nameof(command));
        ArgumentNullException.ThrowIfNull(command.Args, nameof(command));
        ArgumentNullException.ThrowIfNull(command.Requester, nameof(command));
        ArgumentNullException.ThrowIfNull(command.ReplyTo, nameof(command));
    }

    private sealed class OutputRow
    {
        public string CommandId { get; init; } = "";
        public long Seq { get; init; }
        public string Stream { get; init; } = "";
        public string Text { get; init; } = "";
        public string At { get; init; } = "";
    }
}
