using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Embedded.Sqlite;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Tests.Store;

/// <summary>
/// Writes that queue behind a running transaction are committed together: each keeps its own
/// atomicity (a failing one rolls back alone), and nobody is answered before the commit.
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private SqliteTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await SqliteTestDatabase.CreateAsync();
        await using var connection = await _database.Connections.OpenAsync();
        await connection.ExecuteAsync("CREATE TABLE scratch (v TEXT NOT NULL)");
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Queued_writes_run_in_one_batch_and_a_failing_one_rolls_back_alone()
    {
        var (first, release) = await HoldFirstBatchAsync();

        // Queued while the first batch is open, so they run together in the next one.
        var good1 = _database.Connections.WriteAsync((c, t) => Insert(c, t, "good-1"), CancellationToken.None);
        var bad = _database.Connections.WriteAsync<int>(async (c, t) =>
        {
            await Insert(c, t, "bad");
            throw new InvalidOperationException("refused");
        }, CancellationToken.None);
        var good2 = _database.Connections.WriteAsync((c, t) => Insert(c, t, "good-2"), CancellationToken.None);

        Assert.False(good1.IsCompleted);
        release.SetResult();
        await first.WaitAsync(Timeout);
        await Task.WhenAll(good1, good2).WaitAsync(Timeout);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(Timeout));

        Assert.Equal("refused", error.Message);
        Assert.Equal(["first", "good-1", "good-2"], await ValuesAsync());
    }

    [Fact]
    public async Task A_write_is_answered_only_after_its_commit()
    {
        var (first, release) = await HoldFirstBatchAsync();

        // Inside the open transaction the row exists, but no other connection sees it and the caller waits.
        Assert.Empty(await ValuesAsync());
        Assert.False(first.IsCompleted);

        release.SetResult();
        await first.WaitAsync(Timeout);
        Assert.Equal(["first"], await ValuesAsync());
    }

    [Fact]
    public async Task A_caller_that_gives_up_while_queued_never_writes()
    {
        var (first, release) = await HoldFirstBatchAsync();
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var abandoned = _database.Connections.WriteAsync((c, t) =>
        {
            ran = true;
            return Insert(c, t, "abandoned");
        }, cancel.Token);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(Timeout));
        release.SetResult();
        await first.WaitAsync(Timeout);
        await _database.Connections.WriteAsync((c, t) => Insert(c, t, "after"), CancellationToken.None).WaitAsync(Timeout);

        Assert.False(ran);
        Assert.Equal(["after", "first"], await ValuesAsync());
    }

    [Fact]
    public async Task A_thread_update_creates_points_appends_and_sets_status_in_one_write()
    {
        var threads = new SqliteChatThreadStore(_database.Connections);
        var at = _database.Time.GetUtcNow();

        await threads.ApplyAsync(new ThreadUpdate("t1", [new ThreadMessage("ada", "run uptime on web-1", at, "in:r1"), new ThreadMessage("chatops", "Queued as #c1", at, "c1:ack")])
        {
            Create = new ChatThread("t1", "console", "u1", null, at),
            CommandId = "c1",
            Status = "queued",
        });
        // Redelivered: the dedupe keys keep the messages single.
        await threads.ApplyAsync(new ThreadUpdate("t1", [new ThreadMessage("chatops", "Queued as #c1", at, "c1:ack")]) { Status = "queued" });

        Assert.Equal("c1", (await threads.GetThreadAsync("t1"))!.CommandId);
        Assert.Equal("queued", await threads.GetStatusAsync("t1"));
        Assert.Equal(["run uptime on web-1", "Queued as #c1"], (await threads.GetMessagesAsync("t1")).Select(m => m.Text));
    }

    [Fact]
    public async Task A_thread_update_for_an_unknown_thread_fails_and_writes_nothing()
    {
        var threads = new SqliteChatThreadStore(_database.Connections);
        var at = _database.Time.GetUtcNow();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => threads.ApplyAsync(
            new ThreadUpdate("missing", [new ThreadMessage("chatops", "hello", at)]) { Status = "answered" }));

        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        Assert.Null(await threads.GetStatusAsync("missing"));
        Assert.Empty(await threads.GetMessagesAsync("missing"));
    }

    // Starts a write that inserts "first" and then waits inside its transaction until released.
    private async Task<(Task<int> First, TaskCompletionSource Release)> HoldFirstBatchAsync()
    {
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Task.Run(() => _database.Connections.WriteAsync(async (c, t) =>
        {
            var inserted = await Insert(c, t, "first");
            inside.SetResult();
            await release.Task;
            return inserted;
        }, CancellationToken.None));
        await inside.Task.WaitAsync(Timeout);
        return (first, release);
    }

    private static Task<int> Insert(SqliteConnection connection, SqliteTransaction transaction, string value) =>
        connection.ExecuteAsync("INSERT INTO scratch (v) VALUES (@value)", new { value }, transaction);

    private async Task<List<string>> ValuesAsync()
    {
        await using var connection = await _database.NewConnectionFactory().OpenAsync();
        return (await connection.QueryAsync<string>("SELECT v FROM scratch ORDER BY v")).ToList();
    }
}
