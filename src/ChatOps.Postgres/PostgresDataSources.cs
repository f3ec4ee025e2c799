using ChatOps.Postgres.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChatOps.Postgres;

/// <summary>
/// The pooled <see cref="NpgsqlDataSource"/>s of the store: the primary, and a read replica when
/// one is configured. Runs each operation on a pooled connection and retries it, a bounded number
/// of times, when that is safe (see the store ports' failure contract).
/// </summary>
public sealed partial class PostgresDataSources : IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource? _replica;
    private readonly SemaphoreSlim _backendGate = new(1, 1);
    // 0 until known, else the MetricsBackend plus one: an int reads and writes whole across threads.
    private int _backend;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public PostgresDataSources(IOptions<PostgresStoreOptions> options, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null)
        : this(options.Value, timeProvider, loggerFactory)
    {
    }

    /// <exception cref="OptionsValidationException">The options are not usable; the message names each bad key.</exception>
    public PostgresDataSources(PostgresStoreOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(PostgresStoreOptions), typeof(PostgresStoreOptions), failures);
        }

        Options = options;
        Schema = options.Schema;
        _timeProvider = timeProvider ?? TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<PostgresDataSources>();
        Primary = Build(options.ConnectionString, options.Schema, "chatops", loggerFactory);
        if (options.ReadReplicaConnectionString is { } replica)
        {
            _replica = Build(replica, options.Schema, "chatops-read", loggerFactory);
        }
    }

    /// <summary>The read-write server.</summary>
    public NpgsqlDataSource Primary { get; }

    /// <summary>Where read-heavy queries go: the replica when configured, else the primary.</summary>
    public NpgsqlDataSource Read => _replica ?? Primary;

    public bool HasReadReplica => _replica is not null;

    /// <summary>The configured schema, or null for the connection's default.</summary>
    public string? Schema { get; }

    internal PostgresStoreOptions Options { get; }

    /// <summary>Runs <paramref name="work"/> on a pooled connection of the primary (or of <see cref="Read"/>).</summary>
    internal Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, RetryPolicy policy, CancellationToken cancellationToken, bool onReadSource = false) =>
        RunOnAsync(onReadSource ? Read : Primary, work, policy, cancellationToken);

    /// <summary>Runs <paramref name="work"/> inside a READ COMMITTED transaction on the primary and commits it.</summary>
    internal Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, RetryPolicy policy, CancellationToken cancellationToken) =>
        RunOnAsync(Primary, async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }, policy, cancellationToken);

    /// <summary>
    /// Which backend the metrics migration chose; read once, then remembered (it never changes
    /// for a schema).
    /// </summary>
    /// <exception cref="InvalidOperationException">The metrics migration has not run on this schema.</exception>
    internal async Task<MetricsBackend> GetMetricsBackendAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _backend) is var known and > 0)
        {
            return (MetricsBackend)(known - 1);
        }

        await _backendGate.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _backend) is var found and > 0)
            {
                return (MetricsBackend)(found - 1);
            }

            var backend = await RunAsync(async connection =>
            {
                // Two statements: a query naming a missing table fails at parse time, whatever CASE says.
                await using var exists = new NpgsqlCommand("SELECT to_regclass('metrics_backend') IS NOT NULL", connection);
                await using var kind = new NpgsqlCommand("SELECT kind FROM metrics_backend", connection);
                var migrated = await exists.ExecuteScalarAsync(cancellationToken) is true;
                return (migrated ? await kind.ExecuteScalarAsync(cancellationToken) : null) switch
                {
                    "partitioned" => MetricsBackend.Partitioned,
                    "timescaledb" => MetricsBackend.TimescaleDb,
                    _ => throw new InvalidOperationException(
                        "the metrics tables do not exist in this schema: the store's migrations have not run (PostgresMigrator.MigrateAsync)"),
                };
            }, RetryPolicy.Idempotent, cancellationToken);
            Volatile.Write(ref _backend, (int)backend + 1);
            return backend;
        }
        finally
        {
            _backendGate.Release();
        }
    }

    /// <summary>The schema the tables live in (the configured one, else the connection's current schema).</summary>
    internal async Task<string> GetEffectiveSchemaAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (Schema is not null)
        {
            return Schema;
        }

        await using var command = new NpgsqlCommand("SELECT current_schema()", connection, transaction);
        return await command.ExecuteScalarAsync(cancellationToken) as string
            ?? throw new InvalidOperationException("no schema of the connection's search_path exists");
    }

    public async ValueTask DisposeAsync()
    {
        await Primary.DisposeAsync();
        if (_replica is not null)
        {
            await _replica.DisposeAsync();
        }
    }

    public void Dispose()
    {
        Primary.Dispose();
        _replica?.Dispose();
    }

    private async Task<T> RunOnAsync<T>(NpgsqlDataSource source, Func<NpgsqlConnection, Task<T>> work, RetryPolicy policy, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            Exception failure;
            NpgsqlConnection connection;
            try
            {
                connection = await source.OpenConnectionAsync(cancellationToken);
            }
            catch (Exception ex) when (PostgresErrors.IsConnectionFailure(ex))
            {
                source.Clear();
                // Also before giving up, so the caller's next call (even with no retries configured) asks afresh.
                ForgetServerRoles(source);
                if (attempt >= Options.MaxRetryAttempts || cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                // Nothing was sent: always safe to try again.
                await PauseAsync(ex, attempt, cancellationToken);
                continue;
            }

            await using (connection)
            {
                try
                {
                    return await work(connection);
                }
                catch (Exception ex) when (attempt < Options.MaxRetryAttempts && !cancellationToken.IsCancellationRequested && IsWorthRetrying(ex, policy))
                {
                    failure = ex;
                }
            }

            if (PostgresErrors.IsConnectionFailure(failure))
            {
                // The pool's other idle connections most likely died with this one (server restart,
                // fail-over): drop them rather than spend the next attempts discovering that.
                source.Clear();
            }

            await PauseAsync(failure, attempt, cancellationToken);
        }
    }

    /// <summary>
    /// A multi-host data source remembers each server's role (primary, standby, offline) for its
    /// Host Recheck Seconds (10 by default) and skips a server whose remembered role does not fit.
    /// Once no server could be opened, that memory is what a fail-over just made wrong: without
    /// this, a standby promoted a moment ago stays "standby" and every call fails with "No
    /// suitable host" for up to 10 s. Forgetting makes the next attempt ask each server again.
    /// </summary>
    private static void ForgetServerRoles(NpgsqlDataSource source)
    {
        if (source is NpgsqlMultiHostDataSource multiHost)
        {
            multiHost.ClearDatabaseStates();
        }
    }

    private static bool IsWorthRetrying(Exception exception, RetryPolicy policy) =>
        PostgresErrors.IsAborted(exception)
        || (policy == RetryPolicy.Idempotent && PostgresErrors.IsConnectionFailure(exception));

    private async Task PauseAsync(Exception failure, int attempt, CancellationToken cancellationToken)
    {
        var delay = Options.RetryDelay * Math.Pow(2, attempt);
        Log.Retrying(_logger, attempt + 1, Options.MaxRetryAttempts, delay, failure.Message);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _timeProvider, cancellationToken);
        }
    }

    private static NpgsqlDataSource Build(string connectionString, string? schema, string applicationName, ILoggerFactory loggerFactory)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (schema is not null)
        {
            builder.ConnectionStringBuilder.SearchPath = schema;
        }

        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = applicationName;
        }

        builder.UseLoggerFactory(loggerFactory);
        return builder.Build();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL operation failed (attempt {Attempt} of {MaxRetries} retries), retrying in {Delay}: {Reason}")]
        public static partial void Retrying(ILogger logger, int attempt, int maxRetries, TimeSpan delay, string reason);
    }
}
