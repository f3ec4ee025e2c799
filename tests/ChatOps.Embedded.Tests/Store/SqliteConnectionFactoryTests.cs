using ChatOps.Core.Domain;
using ChatOps.Embedded.Sqlite;
using Dapper;
using Microsoft.Extensions.Options;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Embedded.Tests.Store;

public sealed class SqliteConnectionFactoryTests : IAsyncLifetime
{
    private SqliteTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await SqliteTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Connections_use_wal_a_busy_timeout_and_foreign_keys_and_the_folder_was_created()
    {
        Assert.True(File.Exists(_database.Path));

        await using var connection = await _database.NewConnectionFactory().OpenAsync();

        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(5000, await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous")); // NORMAL
    }

    [Fact]
    public void A_bad_path_or_busy_timeout_is_reported_by_its_configuration_key()
    {
        var error = Assert.Throws<OptionsValidationException>(
            () => new SqliteConnectionFactory(new SqliteStoreOptions { Path = " ", BusyTimeout = TimeSpan.Zero }));

        Assert.Contains(error.Failures, failure => failure.StartsWith("ChatOps:Sqlite:Path", StringComparison.Ordinal));
        Assert.Contains(error.Failures, failure => failure.StartsWith("ChatOps:Sqlite:BusyTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_audit_table_refuses_update_and_delete_even_from_raw_sql()
    {
        var stores = _database.CreateStores();
        var entry = new AuditEvent("ev-1", T0, "u-alice", "command.requested", "web-1", "ok", null);
        await stores.Audit.AppendAsync(entry);

        await using var connection = await _database.Connections.OpenAsync();
        var update = await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteAsync("UPDATE audit_events SET outcome = 'denied'"));
        var delete = await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteAsync("DELETE FROM audit_events"));

        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        Assert.Equal([entry], await stores.Audit.QueryAsync(new AuditQuery()));
    }

    [Fact]
    public async Task Writers_in_several_processes_on_one_file_wait_for_each_other_instead_of_failing()
    {
        // Separate factories share no in-process write gate, like chatops processes on one file:
        // only SQLite's locking (busy_timeout, BEGIN IMMEDIATE) keeps them apart. The dedupe keys
        // make each append a read-then-write transaction.
        var processes = Enumerable.Range(0, 4).Select(_ => _database.CreateStores(_database.NewConnectionFactory())).ToList();
        await processes[0].ChatThreads.CreateThreadAsync(new ChatThread("t-1", "web", "u-alice", null, T0));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var appends = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return await processes[i % processes.Count].ChatThreads.AppendMessageAsync("t-1", "chatops", $"m{i}", T0, dedupeKey: $"ev-{i}");
        })).ToList();
        var creates = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return await processes[i % processes.Count].Commands.TryCreateAsync(Command("cmd-shared"));
        })).ToList();
        start.SetResult();

        var seqs = await Task.WhenAll(appends).WaitAsync(TimeSpan.FromSeconds(60));
        var created = await Task.WhenAll(creates).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), seqs.Order());
        Assert.Single(created, c => c);
    }
}
