using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite.Internal;

/// <summary>One caller's write inside a group-committed transaction (see <see cref="SqliteConnectionFactory"/>).</summary>
internal interface IWriteStep
{
    /// <summary>Claims the step for a batch; false when its caller gave up (cancelled) first.</summary>
    bool TryTake();

    /// <summary>Runs the step; false when it threw (its changes are then rolled back).</summary>
    Task<bool> RunAsync(SqliteConnection connection, SqliteTransaction transaction, bool useSavepoint);

    /// <summary>After the commit: hands the caller its result or its own exception.</summary>
    void Publish();

    /// <summary>The batch did not commit: nothing of the step is stored.</summary>
    void Fail(Exception error);
}

internal sealed class WriteStep<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken) : IWriteStep
{
    private const int Queued = 0, Taken = 1, Cancelled = 2;
    private const string Savepoint = "step";

    // Continuations run elsewhere, never inside the leader's batch loop (which holds the write gate).
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private T _result = default!;
    private Exception? _error;

    public Task<T> Completion => _completion.Task;

    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    /// <summary>Called by the waiting caller on cancellation; true when no batch had taken the step yet.</summary>
    public bool TryCancel()
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) != Queued) return false;
        _completion.TrySetCanceled(cancellationToken);
        return true;
    }

    public async Task<bool> RunAsync(SqliteConnection connection, SqliteTransaction transaction, bool useSavepoint)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            _error = new OperationCanceledException(cancellationToken);
            return false;
        }

        if (useSavepoint) await transaction.SaveAsync(Savepoint, CancellationToken.None);
        try
        {
            _result = await work(connection, transaction);
        }
        catch (Exception ex)
        {
            _error = ex;
            if (useSavepoint)
            {
                await transaction.RollbackAsync(Savepoint, CancellationToken.None);
                await transaction.ReleaseAsync(Savepoint, CancellationToken.None);
            }

            return false;
        }

        if (useSavepoint) await transaction.ReleaseAsync(Savepoint, CancellationToken.None);
        return true;
    }

    public void Publish()
    {
        if (_error is OperationCanceledException && cancellationToken.IsCancellationRequested) _completion.TrySetCanceled(cancellationToken);
        else if (_error is not null) _completion.TrySetException(_error);
        else _completion.TrySetResult(_result);
    }

    public void Fail(Exception error) => _completion.TrySetException(_error ?? error);
}
