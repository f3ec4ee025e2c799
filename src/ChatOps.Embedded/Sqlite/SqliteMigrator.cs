using Dapper;
using ChatOps.Embedded.Sqlite.Internal;

namespace ChatOps.Embedded.Sqlite;

/// <summary>
/// Brings the database up to the newest schema: applies, in one <c>BEGIN IMMEDIATE</c>
/// transaction, every migration whose version is not in <c>schema_migrations</c> yet. All or
/// nothing: a failing migration leaves the database as it was. Safe to run from several
/// processes at once (the second waits, then finds nothing to do).
/// </summary>
public sealed class SqliteMigrator
{
    private const string CreateLedger = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER NOT NULL PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        """;

    private readonly SqliteConnectionFactory _connections;
    private readonly TimeProvider _timeProvider;
    private readonly IReadOnlyList<SqliteMigration> _migrations;

    public SqliteMigrator(SqliteConnectionFactory connections, TimeProvider timeProvider)
        : this(connections, timeProvider, SqliteMigrations.All)
    {
    }

    /// <param name="migrations">The schema steps; tests inject their own list.</param>
    public SqliteMigrator(SqliteConnectionFactory connections, TimeProvider timeProvider, IReadOnlyList<SqliteMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(migrations);
        _connections = connections;
        _timeProvider = timeProvider;
        _migrations = Validate(migrations);
    }

    /// <returns>The migrations this call applied, ascending; empty when the schema was current.</returns>
    public Task<IReadOnlyList<SqliteMigration>> MigrateAsync(CancellationToken cancellationToken = default) =>
        _connections.WriteAsync<IReadOnlyList<SqliteMigration>>(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(CreateLedger, transaction: transaction, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT version FROM schema_migrations", transaction: transaction, cancellationToken: cancellationToken))).ToHashSet();

            var done = new List<SqliteMigration>();
            foreach (var migration in _migrations.Where(m => !applied.Contains(m.Version)))
            {
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                    new { migration.Version, migration.Name, AppliedAt = SqliteTime.ToText(_timeProvider.GetUtcNow()) },
                    transaction,
                    cancellationToken: cancellationToken));
                done.Add(migration);
            }

            return done;
        }, cancellationToken);

    /// <summary>The versions recorded in <c>schema_migrations</c>, ascending (empty for a new database).</summary>
    public Task<IReadOnlyList<int>> GetAppliedVersionsAsync(CancellationToken cancellationToken = default) =>
        _connections.ReadAsync<IReadOnlyList<int>>(async connection =>
        {
            var ledgerExists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", cancellationToken: cancellationToken));
            if (ledgerExists == 0)
            {
                return [];
            }

            var versions = await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT version FROM schema_migrations ORDER BY version", cancellationToken: cancellationToken));
            return versions.Select(v => (int)v).ToList();
        }, cancellationToken);

    private static List<SqliteMigration> Validate(IReadOnlyList<SqliteMigration> migrations)
    {
        var ordered = migrations.OrderBy(m => m.Version).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var migration = ordered[i] ?? throw new ArgumentException("a migration is null", nameof(migrations));
            if (migration.Version <= 0)
            {
                throw new ArgumentException($"migration '{migration.Name}' has version {migration.Version}; versions start at 1", nameof(migrations));
            }

            if (i > 0 && ordered[i - 1].Version == migration.Version)
            {
                throw new ArgumentException($"migration version {migration.Version} appears twice ('{ordered[i - 1].Name}', '{migration.Name}')", nameof(migrations));
            }

            if (string.IsNullOrWhiteSpace(migration.Name) || string.IsNullOrWhiteSpace(migration.Sql))
            {
                throw new ArgumentException($"migration {migration.Version} needs a name and SQL", nameof(migrations));
            }
        }

        return ordered;
    }
}
