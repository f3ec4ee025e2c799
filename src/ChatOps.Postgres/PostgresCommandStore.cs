using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

/// <remarks>
/// History lists (<see cref="ListRecentAsync"/>, <see cref="ListByRequestAsync"/>) read from the
/// replica when one is configured; everything the router decides on reads the primary.
/// </remarks>
public sealed class PostgresCommandStore(PostgresDataSources dataSources) : ICommandStore
{
    public Task<bool> TryCreateAsync(CommandRecord command, CancellationToken cancellationToken = default)
    {
        Validate(command);

        // Not repeated after a lost connection: the retry would find its own row and answer false.
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO commands (
                id, request_id, server_id, command_name, action, args, text,
                requester_user_id, requester_identity, requester_display_name, reply_to, state,
                fencing_token, exit_code, error, timeout_ms, created_at, started_at, finished_at)
            VALUES (
                @Id, @RequestId, @ServerId, @CommandName, @Action, @Args::jsonb, @Text,
                @RequesterUserId, @RequesterIdentity, @RequesterDisplayName, @ReplyTo::jsonb, @State,
                @FencingToken, @ExitCode, @Error, @TimeoutMs, @CreatedAt, @StartedAt, @FinishedAt)
            ON CONFLICT (id) DO NOTHING
            """,
            CommandRow.ToParameters(command),
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<CommandRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return dataSources.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<CommandRow>(new CommandDefinition(
                $"SELECT {CommandRow.Columns} FROM commands WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return row?.ToRecord();
        }, RetryPolicy.Idempotent, cancellationToken);
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

        // One conditional UPDATE: of two racing transitions out of the same state, the second
        // waits for the first's row lock, re-checks the state and matches nothing.
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE commands SET
                state = @toState,
                fencing_token = COALESCE(@FencingToken, fencing_token),
                exit_code = COALESCE(@ExitCode, exit_code),
                error = COALESCE(@Error, error),
                started_at = COALESCE(@StartedAt, started_at),
                finished_at = COALESCE(@FinishedAt, finished_at)
            WHERE id = @id AND state = ANY(@fromStates)
            """,
            new
            {
                id,
                toState,
                fromStates,
                update.FencingToken,
                update.ExitCode,
                update.Error,
                StartedAt = PostgresTime.ToDb(update.StartedAt),
                FinishedAt = PostgresTime.ToDb(update.FinishedAt),
            },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
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

        return QueryAsync(
            $"""
            SELECT {CommandRow.Columns} FROM commands
            WHERE state = ANY(@stateTexts) {ServerFilter(serverId)}
            ORDER BY created_at, id LIMIT @limit
            """,
            new { stateTexts, serverId, limit },
            onReadSource: false,
            cancellationToken);
    }

    public Task<IReadOnlyList<CommandRecord>> ListRecentAsync(string? serverId = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryAsync(
            $"""
            SELECT {CommandRow.Columns} FROM commands
            WHERE true {ServerFilter(serverId)}
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """,
            new { serverId, limit },
            onReadSource: true,
            cancellationToken);
    }

    public Task<IReadOnlyList<CommandRecord>> ListByRequestAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return QueryAsync(
            $"SELECT {CommandRow.Columns} FROM commands WHERE request_id = @requestId ORDER BY created_at, id",
            new { requestId },
            onReadSource: true,
            cancellationToken);
    }

    /// <exception cref="InvalidOperationException">There is no such command.</exception>
    public Task AppendOutputAsync(OutputChunk chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(chunk.CommandId);
        ArgumentNullException.ThrowIfNull(chunk.Stream);
        ArgumentNullException.ThrowIfNull(chunk.Text);
        return dataSources.RunAsync(async connection =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO command_output (command_id, seq, stream, text, at) VALUES (@CommandId, @Seq, @Stream, @Text, @At)
                    ON CONFLICT (command_id, seq) DO NOTHING
                    """,
                    new { chunk.CommandId, chunk.Seq, chunk.Stream, Text = PostgresText.WithoutNul(chunk.Text), At = PostgresTime.ToDb(chunk.At) },
                    cancellationToken: cancellationToken));
            }
            catch (PostgresException ex) when (PostgresErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"output for unknown command '{chunk.CommandId}'", ex);
            }
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<IReadOnlyList<OutputChunk>> GetOutputAsync(string commandId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        return dataSources.RunAsync<IReadOnlyList<OutputChunk>>(async connection =>
        {
            var rows = await connection.QueryAsync<OutputRow>(new CommandDefinition(
                """
                SELECT command_id AS CommandId, seq AS Seq, stream AS Stream, text AS Text, at AS At
                FROM command_output WHERE command_id = @commandId ORDER BY seq
                """,
                new { commandId },
                cancellationToken: cancellationToken));
            return rows.Select(row => new OutputChunk(row.CommandId, row.Seq, row.Stream, row.Text, PostgresTime.FromDb(row.At))).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    private Task<IReadOnlyList<CommandRecord>> QueryAsync(string sql, object parameters, bool onReadSource, CancellationToken cancellationToken) =>
        dataSources.RunAsync<IReadOnlyList<CommandRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<CommandRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return rows.Select(row => row.ToRecord()).ToList();
        }, RetryPolicy.Idempotent, cancellationToken, onReadSource);

    // A separate statement per case rather than "@serverId IS NULL OR ...", so the planner can use
    // the (server_id, created_at) index when a server is given.
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
        public DateTime At { get; init; }
    }
}
