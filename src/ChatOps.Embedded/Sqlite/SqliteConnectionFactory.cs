using ChatOps.Embedded.Sqlite.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ChatOps.Embedded.Sqlite;

/// <summary>
/// Opens pooled connections to the store's database with the pragmas every connection needs
/// (WAL, busy timeout, foreign keys), and runs write transactions one at a time.
/// </summary>
/// <remarks>
/// SQLite allows one writer per database. Writers in this process queue on a semaphore instead
/// of spinning in SQLite's busy handler; writers in other processes are covered by
/// <c>busy_timeout</c> and <c>BEGIN IMMEDIATE</c>, which takes the write lock up front so a
/// read-then-write transaction can never fail half-way with SQLITE_BUSY.
/// </remarks>
public sealed class SqliteConnectionFactory : IDisposable
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly string _pragmas;
    private readonly string _directory;
    private int _prepared;

    public SqliteConnectionFactory(IOptions<SqliteStoreOptions> options)
        : this(options.Value)
    {
    }

    public SqliteConnectionFactory(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new SqliteStoreOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(SqliteStoreOptions), typeof(SqliteStoreOptions), result.Failures);
        }

        DatabasePath = System.IO.Path.GetFullPath(options.Path);
        _directory = System.IO.Path.GetDirectoryName(DatabasePath) ?? ".";
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        // synchronous=NORMAL is the documented pairing with WAL: a commit survives a crash of the process
        // (and the file is never corrupted); only a power loss may roll back the last transactions.
        // FULL would fsync every commit and cap the embedded default at a few hundred writes per second.
        _pragmas = $"PRAGMA busy_timeout = {(int)options.BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DatabasePath { get; }

    public string ConnectionString { get; }

    /// <summary>An open connection; the caller disposes it (which returns it to the pool).</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _prepared) == 0)
        {
            Directory.CreateDirectory(_directory);
        }

        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, _pragmas, cancellationToken);
            if (Interlocked.CompareExchange(ref _prepared, 1, 0) == 0)
            {
                // journal_mode is stored in the file, so once is enough; WAL lets readers run
                // beside the one writer.
                await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a fresh connection (reads need no transaction in WAL mode).</summary>
    internal async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await work(connection);
    }

    /// <summary>
    /// Runs <paramref name="work"/> inside <c>BEGIN IMMEDIATE</c> and commits; rolls back when it throws.
    /// Only one such transaction runs at a time per factory.
    /// </summary>
    internal async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Closes the pooled connections to this database (so its file can be deleted).</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);

        // The write gate is left alone: a write still finishing during shutdown must be able to
        // release it, and a SemaphoreSlim without a wait handle holds nothing to free.
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
