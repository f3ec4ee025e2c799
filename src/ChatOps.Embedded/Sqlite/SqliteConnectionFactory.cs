using System.Collections.Concurrent;
using System.Diagnostics;
using ChatOps.Core.Observability;
using ChatOps.Embedded.Sqlite.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ChatOps.Embedded.Sqlite;

/// <summary>
/// Opens pooled connections to the store's database with the pragmas every connection needs
/// (WAL, busy timeout, foreign keys), and runs writes one transaction at a time, committing
/// concurrent writes together (group commit).
/// </summary>
/// <remarks>
/// SQLite allows one writer per database. Writers in this process queue on a semaphore instead
/// of spinning in SQLite's busy handler; writers in other processes are covered by
/// <c>busy_timeout</c> and <c>BEGIN IMMEDIATE</c>, which takes the write lock up front so a
/// read-then-write transaction can never fail half-way with SQLITE_BUSY.
/// </remarks>
public sealed class SqliteConnectionFactory : IDisposable
{
    // Steps per transaction: bounds how long one commit keeps the others waiting.
    private const int MaxBatch = 256;

    // Open read connections kept for reuse; more than this many concurrent readers open extra ones.
    private const int MaxIdleReaders = 16;

    // Small, frequent checkpoints: each one fsyncs what it copied, and while the disk is busy with that
    // a COMMIT's write to the WAL can wait on the filesystem's journal. Measured on the 2-core VM with
    // the slack-ack benchmark: every 200 commits, commits stalled up to 170-370 ms beside checkpoints of
    // up to 400 ms; every 50, the longest commit was 78 ms.
    private const int CheckpointEveryCommits = 50;

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentQueue<IWriteStep> _pending = new();
    private readonly ConcurrentBag<SqliteConnection> _idleReaders = [];
    private SqliteConnection? _writer;
    private int _commitsSinceCheckpoint;
    private int _checkpointing;
    private volatile bool _disposed;
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

    /// <summary>Where each write transaction's duration is recorded (<see cref="ChatOpsMeter.StoreWrites"/>); none when null.</summary>
    public ChatOpsMeter? Meter { get; init; }

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

    /// <summary>Runs <paramref name="work"/> on an open connection (reads need no transaction in WAL mode).</summary>
    /// <remarks>
    /// Idle read connections are kept open here rather than handed back to the driver's pool: a
    /// pooled open still runs the per-connection pragmas (three statements to parse) every time,
    /// which was a visible share of a read's cost.
    /// </remarks>
    internal async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        var connection = _idleReaders.TryTake(out var idle) ? idle : await OpenAsync(cancellationToken);
        var reusable = false;
        try
        {
            var result = await work(connection);
            reusable = true;
            return result;
        }
        finally
        {
            if (reusable && !_disposed && _idleReaders.Count < MaxIdleReaders)
            {
                _idleReaders.Add(connection);
                if (_disposed)
                {
                    CloseIdleReaders();
                }
            }
            else
            {
                await connection.DisposeAsync();
            }
        }
    }

    private void CloseIdleReaders()
    {
        while (_idleReaders.TryTake(out var idle))
        {
            idle.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> as one atomic step of a write transaction and returns once that
    /// transaction has committed; when it throws, its own changes are rolled back and the exception
    /// is rethrown. Writes run one at a time per factory, in arrival order.
    /// </summary>
    /// <remarks>
    /// Group commit: writers that arrive while a transaction is running queue up, and the next
    /// writer to get the gate runs every queued step in one <c>BEGIN IMMEDIATE</c> transaction, each
    /// inside its own savepoint, then commits once and completes them all. A caller is answered only
    /// after the commit that holds its step, so nothing acknowledged is lost; under load, the cost
    /// of a commit (and of opening the connection) is shared by the whole batch instead of being
    /// paid by every write, which is what made the single writer the bottleneck.
    /// </remarks>
    internal async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var step = new WriteStep<T>(work, cancellationToken);
        _pending.Enqueue(step);
        while (!step.Completion.IsCompleted)
        {
            try
            {
                await _writeGate.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (step.TryCancel())
            {
                throw;
            }
            catch (OperationCanceledException)
            {
                // A leader took the step already: it runs to the end (and commits), so wait for it.
                return await step.Completion;
            }

            try
            {
                if (!step.Completion.IsCompleted)
                {
                    await RunBatchAsync();
                }
            }
            finally
            {
                _writeGate.Release();
            }
        }

        return await step.Completion;
    }

    // Holds the write gate. Takes what is queued (up to MaxBatch), runs it in one transaction, commits.
    private async Task RunBatchAsync()
    {
        var batch = new List<IWriteStep>();
        while (batch.Count < MaxBatch && _pending.TryDequeue(out var next))
        {
            if (next.TryTake())
            {
                batch.Add(next);
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        SqliteConnection? pooled = null;
        long began = 0;
        try
        {
            var connection = _writer ??= _disposed ? null : await OpenWriterAsync();
            connection ??= pooled = await OpenAsync(CancellationToken.None);
            began = Stopwatch.GetTimestamp();
            await using var transaction = connection.BeginTransaction(deferred: false);
            var alone = batch.Count == 1;
            var survivors = 0;
            foreach (var step in batch)
            {
                if (await step.RunAsync(connection, transaction, useSavepoint: !alone))
                {
                    survivors++;
                }
            }

            if (alone && survivors == 0)
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            else
            {
                await transaction.CommitAsync(CancellationToken.None);
            }

            foreach (var step in batch)
            {
                step.Publish();
            }

            if (++_commitsSinceCheckpoint >= CheckpointEveryCommits && Interlocked.CompareExchange(ref _checkpointing, 1, 0) == 0)
            {
                _commitsSinceCheckpoint = 0;
                _ = Task.Run(CheckpointAsync);
            }
        }
        catch (Exception ex)
        {
            // BEGIN or COMMIT failed (another process held the file past busy_timeout, disk full, ...):
            // none of the batch is stored, so every step fails with that error.
            foreach (var step in batch)
            {
                step.Fail(ex);
            }

            await DropWriterAsync();
        }
        finally
        {
            // Failed transactions too: a BEGIN that waited out busy_timeout is the longest stall of all.
            if (began != 0)
            {
                Meter?.StoreWrites.Record(Stopwatch.GetElapsedTime(began).TotalSeconds, new KeyValuePair<string, object?>("backend", "sqlite"));
            }

            if (pooled is not null)
            {
                await pooled.DisposeAsync();
            }
        }
    }

    // The writer never checkpoints itself: SQLite's automatic checkpoint runs inside the COMMIT that
    // crosses the threshold and fsyncs there, stalling every writer queued behind it (the long tail of
    // the ack latency). A passive checkpoint on another connection copies the WAL back without taking
    // the write lock.
    private async Task<SqliteConnection> OpenWriterAsync()
    {
        var writer = await OpenAsync(CancellationToken.None);
        await ExecuteAsync(writer, "PRAGMA wal_autocheckpoint = 0;", CancellationToken.None);
        return writer;
    }

    private async Task CheckpointAsync()
    {
        try
        {
            await using var connection = await OpenAsync(CancellationToken.None);
            await ExecuteAsync(connection, "PRAGMA wal_checkpoint(PASSIVE);", CancellationToken.None);
        }
        catch (SqliteException)
        {
            // Best effort: the next one (or closing the last connection) copies the WAL back.
        }
        catch (ObjectDisposedException)
        {
            // shutting down
        }
        finally
        {
            Volatile.Write(ref _checkpointing, 0);
        }
    }

    private async Task DropWriterAsync()
    {
        if (_writer is { } writer)
        {
            _writer = null;
            await writer.DisposeAsync();
        }
    }

    /// <summary>Closes the writer and the pooled connections to this database (so its file can be deleted).</summary>
    public void Dispose()
    {
        _disposed = true;
        CloseIdleReaders();

        // Wait (briefly) for a write still finishing during shutdown; the gate itself is left alone so
        // that write can release it, and a SemaphoreSlim without a wait handle holds nothing to free.
        if (_writeGate.Wait(TimeSpan.FromSeconds(5)))
        {
            try
            {
                _writer?.Dispose();
                _writer = null;
            }
            finally
            {
                _writeGate.Release();
            }
        }

        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
