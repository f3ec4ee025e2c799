using ChatOps.Core.Alerts;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteSilenceStore(SqliteConnectionFactory connections) : ISilenceStore
{
    private const string Columns = """
        id AS Id, target AS Target, rule AS Rule, starts_at AS StartsAt, ends_at AS EndsAt, created_by AS CreatedBy,
        comment AS Comment, created_at AS CreatedAt, expired_at AS ExpiredAt
        """;

    public Task<bool> CreateAsync(Silence silence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silence);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO silences (id, target, rule, starts_at, ends_at, created_by, comment, created_at, expired_at)
                    VALUES (@Id, @Target, @Rule, @StartsAt, @EndsAt, @CreatedBy, @Comment, @CreatedAt, @ExpiredAt)
                    """,
                    new
                    {
                        silence.Id,
                        silence.Target,
                        silence.Rule,
                        StartsAt = SqliteTime.ToText(silence.StartsAt),
                        EndsAt = SqliteTime.ToText(silence.EndsAt),
                        silence.CreatedBy,
                        silence.Comment,
                        CreatedAt = SqliteTime.ToText(silence.CreatedAt),
                        ExpiredAt = SqliteTime.ToText(silence.ExpiredAt),
                    },
                    transaction,
                    cancellationToken: cancellationToken)) == 1;
            }
            catch (SqliteException ex) when (SqliteErrors.IsUniqueViolation(ex))
            {
                return false;
            }
        }, cancellationToken);
    }

    public async Task<Silence?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return (await QueryAsync($"SELECT {Columns} FROM silences WHERE id = @id", new { id }, cancellationToken)).FirstOrDefault();
    }

    public Task<IReadOnlyList<Silence>> ListCurrentAsync(DateTimeOffset at, CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {Columns} FROM silences WHERE expired_at IS NULL AND ends_at > @at ORDER BY starts_at, id",
            new { at = SqliteTime.ToText(at) }, cancellationToken);

    public Task<bool> ExpireAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE silences SET expired_at = @at WHERE id = @id AND expired_at IS NULL AND ends_at > @at",
            new { id, at = SqliteTime.ToText(at) },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    private Task<IReadOnlyList<Silence>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        connections.ReadAsync<IReadOnlyList<Silence>>(async connection =>
        {
            var rows = await connection.QueryAsync<SilenceRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return rows.Select(row => new Silence(row.Id, row.Target, row.Rule, SqliteTime.FromText(row.StartsAt), SqliteTime.FromText(row.EndsAt),
                row.CreatedBy, row.Comment, SqliteTime.FromText(row.CreatedAt), SqliteTime.FromNullableText(row.ExpiredAt))).ToList();
        }, cancellationToken);

    private sealed class SilenceRow
    {
        public string Id { get; init; } = "";
        public string Target { get; init; } = "";
        public string? Rule { get; init; }
        public string StartsAt { get; init; } = "";
        public string EndsAt { get; init; } = "";
        public string CreatedBy { get; init; } = "";
        public string? Comment { get; init; }
        public string CreatedAt { get; init; } = "";
        public string? ExpiredAt { get; init; }
    }
}
