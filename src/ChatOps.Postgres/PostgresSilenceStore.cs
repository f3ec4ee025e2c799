using ChatOps.Core.Alerts;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

public sealed class PostgresSilenceStore(PostgresDataSources dataSources) : ISilenceStore
{
    private const string Columns = """
        id AS Id, target AS Target, rule AS Rule, starts_at AS StartsAt, ends_at AS EndsAt, created_by AS CreatedBy,
        comment AS Comment, created_at AS CreatedAt, expired_at AS ExpiredAt
        """;

    public Task<bool> CreateAsync(Silence silence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silence);
        ArgumentException.ThrowIfNullOrWhiteSpace(silence.Id, nameof(silence));

        // Not repeated after a lost connection: the retry would find its own row and answer false.
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO silences (id, target, rule, starts_at, ends_at, created_by, comment, created_at, expired_at)
            VALUES (@Id, @Target, @Rule, @StartsAt, @EndsAt, @CreatedBy, @Comment, @CreatedAt, @ExpiredAt)
            ON CONFLICT (id) DO NOTHING
            """,
            new
            {
                silence.Id,
                silence.Target,
                silence.Rule,
                StartsAt = PostgresTime.ToDb(silence.StartsAt),
                EndsAt = PostgresTime.ToDb(silence.EndsAt),
                silence.CreatedBy,
                Comment = silence.Comment is null ? null : PostgresText.WithoutNul(silence.Comment),
                CreatedAt = PostgresTime.ToDb(silence.CreatedAt),
                ExpiredAt = PostgresTime.ToDb(silence.ExpiredAt),
            },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public async Task<Silence?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return (await QueryAsync($"SELECT {Columns} FROM silences WHERE id = @id", new { id }, cancellationToken)).SingleOrDefault();
    }

    public Task<IReadOnlyList<Silence>> ListCurrentAsync(DateTimeOffset at, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {Columns} FROM silences WHERE expired_at IS NULL AND ends_at > @at ORDER BY starts_at, id",
            new { at = PostgresTime.ToDb(at) },
            cancellationToken);

    public Task<bool> ExpireAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);

        // Conditional on "not ended yet": of two racing expiries the second re-checks after the
        // first's row lock and matches nothing.
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE silences SET expired_at = @at WHERE id = @id AND expired_at IS NULL AND ends_at > @at",
            new { id, at = PostgresTime.ToDb(at) },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    private Task<IReadOnlyList<Silence>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        dataSources.RunAsync<IReadOnlyList<Silence>>(async connection =>
        {
            var rows = await connection.QueryAsync<SilenceRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return rows.Select(row => new Silence(
                row.Id,
                row.Target,
                row.Rule,
                PostgresTime.FromDb(row.StartsAt),
                PostgresTime.FromDb(row.EndsAt),
                row.CreatedBy,
                row.Comment,
                PostgresTime.FromDb(row.CreatedAt),
                PostgresTime.FromDb(row.ExpiredAt))).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);

    private sealed class SilenceRow
    {
        public string Id { get; init; } = "";
        public string Target { get; init; } = "";
        public string? Rule { get; init; }
        public DateTime StartsAt { get; init; }
        public DateTime EndsAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public string? Comment { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? ExpiredAt { get; init; }
    }
}
