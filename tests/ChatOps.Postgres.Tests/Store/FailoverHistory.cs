using System.Collections.Concurrent;
using System.Net.Sockets;
using Npgsql;

namespace ChatOps.Postgres.Tests.Store;

/// <summary>What an operation of the fail-over workload did: which store call, on what, by whom.</summary>
internal enum FailoverOp
{
    Create,
    Start,
    Finish,
    Claim,
    Complete,
    Enroll,
}

/// <summary>How a surfaced error is counted: each must be one the store's contract names.</summary>
internal enum FailureKind
{
    SerializationFailure,
    LostConnection,
    Unexpected,
}

/// <summary>
/// One store call and what the caller was told: a value, or the exception it surfaced.
/// <paramref name="Actor"/> is the caller's own tag (the fencing token it wrote, the claim owner).
/// </summary>
internal sealed record FailoverEntry(FailoverOp Op, string Key, string Actor, object? Value, Exception? Error, bool AfterFailover, TimeSpan Started, TimeSpan Ended)
{
    public bool Acknowledged => Error is null;

    public bool Returned(object expected) => Error is null && Equals(Value, expected);

    public FailureKind? Failure => Error is null ? null : Classify(Error);

    /// <summary>40001 aborted the transaction; anything else must be the connection (or the server behind it) going away.</summary>
    public static FailureKind Classify(Exception error) => error switch
    {
        PostgresException { SqlState: "40001" } => FailureKind.SerializationFailure,
        PostgresException postgres when postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState is "57P01" or "57P02" or "57P03" => FailureKind.LostConnection,
        PostgresException => FailureKind.Unexpected,
        NpgsqlException npgsql when npgsql.IsTransient
            || npgsql.InnerException is IOException or SocketException or TimeoutException or EndOfStreamException
            || npgsql.Message.Contains("No suitable host", StringComparison.Ordinal) => FailureKind.LostConnection,
        _ => FailureKind.Unexpected,
    };
}

/// <summary>An append-only history of every operation of the workload, with its outcome.</summary>
internal sealed class FailoverHistory
{
    private readonly ConcurrentQueue<FailoverEntry> _entries = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private volatile bool _failedOver;

    /// <summary>Time since the history began, the clock of <see cref="FailoverEntry.Started"/> and <see cref="FailoverEntry.Ended"/>.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyCollection<FailoverEntry> Entries => _entries;

    /// <summary>From now on, operations are recorded as started after the fail-over.</summary>
    public void MarkFailedOver() => _failedOver = true;

    /// <summary>Runs the call and records its answer or its exception; the exception is not rethrown (the history has it).</summary>
    public async Task<FailoverEntry> RecordAsync<T>(FailoverOp op, string key, string actor, Func<Task<T>> call)
    {
        var afterFailover = _failedOver;
        var started = Now;
        FailoverEntry entry;
        try
        {
            var value = await call();
            entry = new FailoverEntry(op, key, actor, value, null, afterFailover, started, Now);
        }
        catch (Exception ex)
        {
            entry = new FailoverEntry(op, key, actor, null, ex, afterFailover, started, Now);
        }

        _entries.Enqueue(entry);
        return entry;
    }

    public async Task<FailoverEntry> RecordAsync(FailoverOp op, string key, string actor, Func<Task> call) =>
        await RecordAsync<object?>(op, key, actor, async () =>
        {
            await call();
            return null;
        });
}
