using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

/// <summary>
/// Brings the schema up to the newest version: applies, in one transaction, every migration whose
/// version is not in <c>schema_migrations</c> yet, all or nothing. The transaction first takes an
/// advisory lock per schema (<c>pg_advisory_xact_lock</c>), so replicas starting together migrate
/// one after the other: the second waits, then finds nothing left to do.
/// </summary>
public sealed class PostgresMigrator
{
    private const string CreateLedger = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer NOT NULL PRIMARY KEY,
            name       text NOT NULL,
            applied_at timestamptz NOT NULL
        );
        """;

    // Large databases can take a while (an index on a big table); the default 30 s is for queries.
    private static readonly int MigrationTimeoutSeconds = (int)TimeSpan.FromMinutes(30).TotalSeconds;

    private readonly PostgresDataSources _dataSources;
    private readonly TimeProvider _timeProvider;
    private readonly IReadOnlyList<PostgresMigration> _migrations;

    public PostgresMigrator(PostgresDataSources dataSources, TimeProvider timeProvider)
        : this(dataSources, timeProvider, PostgresMigrations.All)
    {
    }

    /// <param name="migrations">The schema steps; tests inject their own list.</param>
    public PostgresMigrator(PostgresDataSources dataSources, TimeProvider timeProvider, IReadOnlyList<PostgresMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(dataSources);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(migrations);
        _dataSources = dataSources;
        _timeProvider = timeProvider;
        _migrations = Validate(migrations);
    }

    /// <summary>The newest version this migrator knows (0 when it has no migrations).</summary>
    public int LatestVersion => _migrations.Count == 0 ? 0 : _migrations[^1].Version;

    /// <returns>The migrations this call applied, ascending; empty when the schema was current.</returns>
    /// <exception cref="InvalidOperationException">A migration failed (the message names it); nothing of this call was applied.</exception>
    public Task<IReadOnlyList<PostgresMigration>> MigrateAsync(CancellationToken cancellationToken = default) =>
        // Safe to repeat after a lost connection: a second run reads the ledger and applies only what is missing.
        _dataSources.InTransactionAsync<IReadOnlyList<PostgresMigration>>(async (connection, transaction) =>
        {
            var schema = await LockSchemaAsync(connection, transaction, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT set_config('chatops.timescale', @mode, true)",
                new { mode = _dataSources.Options.Metrics.Timescale.ToString().ToLowerInvariant() },
                transaction,
                cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(CreateLedger, transaction: transaction, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<int>(new CommandDefinition(
                "SELECT version FROM schema_migrations", transaction: transaction, cancellationToken: cancellationToken))).ToHashSet();

            var done = new List<PostgresMigration>();
            foreach (var migration in _migrations.Where(m => !applied.Contains(m.Version)))
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        migration.Sql, transaction: transaction, commandTimeout: MigrationTimeoutSeconds, cancellationToken: cancellationToken));
                }
                catch (PostgresException ex)
                {
                    throw new InvalidOperationException(
                        $"PostgreSQL migration {migration.Version:D3} '{migration.Name}' failed in schema '{schema}' ({ex.SqlState}: {ex.MessageText}); nothing was applied", ex);
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                    new { migration.Version, migration.Name, AppliedAt = PostgresTime.ToDb(_timeProvider.GetUtcNow()) },
                    transaction,
                    cancellationToken: cancellationToken));
                done.Add(migration);
            }

            return done;
        }, RetryPolicy.Idempotent, cancellationToken);

    /// <summary>The versions recorded in <c>schema_migrations</c>, ascending (empty for a new database or schema).</summary>
    public Task<IReadOnlyList<int>> GetAppliedVersionsAsync(CancellationToken cancellationToken = default) =>
        _dataSources.RunAsync<IReadOnlyList<int>>(async connection =>
        {
            var ledger = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT to_regclass('schema_migrations')::text", cancellationToken: cancellationToken));
            if (ledger is null)
            {
                return [];
            }

            return (await connection.QueryAsync<int>(new CommandDefinition(
                "SELECT version FROM schema_migrations ORDER BY version", cancellationToken: cancellationToken))).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);

    private async Task<string> LockSchemaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var schema = _dataSources.Schema ?? await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT current_schema()", transaction: transaction, cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException(
                "no schema of the connection's search_path exists: create one, or set ChatOps:Postgres:Schema and the store creates it");

        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(@key)",
            new { key = PostgresNames.LockKey("migrate", schema) },
            transaction,
            commandTimeout: MigrationTimeoutSeconds,
            cancellationToken: cancellationToken));

        if (_dataSources.Schema is not null)
        {
            // The name passed IsValidIdentifier (lower-case letters, digits, _), so it needs no quoting.
            await connection.ExecuteAsync(new CommandDefinition(
                $"CREATE SCHEMA IF NOT EXISTS {schema}", transaction: transaction, cancellationToken: cancellationToken));
        }

        return schema;
    }

    private static List<PostgresMigration> Validate(IReadOnlyList<PostgresMigration> migrations)
    {
        var ordered = migrations.OrderBy(m => m?.Version ?? 0).ToList();
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
