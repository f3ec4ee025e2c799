using ChatOps.Core.Domain;
using ChatOps.Postgres.Tests.Support;
using Npgsql;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Postgres.Tests.Store;

/// <summary>The failure contract: retried where safe, surfaced otherwise, never swallowed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresFailureTests(PostgresServerFixture server) : IAsyncLifetime
{
    private TestSchema _schema = null!;

    public async Task InitializeAsync() => _schema = await TestSchema.CreateAsync(server, configure: o =>
    {
        o.MaxRetryAttempts = 2;
        o.RetryDelay = TimeSpan.FromMilliseconds(1);
    });

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task A_serialization_failure_is_retried_even_for_an_operation_that_must_run_once()
    {
        await FailCommandInsertsAsync(times: 1);
        var commands = _schema.CreateStores().Commands;

        Assert.True(await commands.TryCreateAsync(Command("cmd-1")));

        Assert.Equal(2, await AttemptsAsync());
        Assert.Single(await commands.ListRecentAsync());
    }

    [Fact]
    public async Task A_serialization_failure_that_persists_is_surfaced_after_the_bounded_retries()
    {
        await FailCommandInsertsAsync(times: 100);

        var error = await Assert.ThrowsAsync<PostgresException>(() => _schema.CreateStores().Commands.TryCreateAsync(Command("cmd-1")));

        Assert.Equal("40001", error.SqlState);
        Assert.Equal(3, await AttemptsAsync());
    }

    [Fact]
    public async Task A_connection_killed_under_an_idempotent_read_is_retried_on_a_new_one()
    {
        var stores = _schema.CreateStores();
        await stores.Servers.UpsertAsync(new Server("web-1", null, [], T0));
        await KillPooledConnectionAsync();

        Assert.NotNull(await stores.Servers.GetAsync("web-1"));
    }

    [Fact]
    public async Task A_connection_killed_under_an_operation_that_must_run_once_is_surfaced_not_turned_into_false()
    {
        var commands = _schema.CreateStores().Commands;
        await commands.TryCreateAsync(Command("cmd-0"));
        await KillPooledConnectionAsync();

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => commands.TryCreateAsync(Command("cmd-1")));

        // The pool was cleared: the next call works on a fresh connection.
        Assert.True(await commands.TryCreateAsync(Command("cmd-2")));
    }

    [Fact]
    public async Task Output_and_messages_with_NUL_characters_are_stored_with_a_visible_replacement()
    {
        var stores = _schema.CreateStores();
        await stores.Commands.TryCreateAsync(Command("cmd-1"));
        await stores.ChatThreads.CreateThreadAsync(new ChatThread("t-1", "web", "u-alice", null, T0));

        await stores.Commands.AppendOutputAsync(new OutputChunk("cmd-1", 1, "stdout", "a\0b", T0));
        await stores.ChatThreads.AppendMessageAsync("t-1", "chatops", "x\0y", T0, null);

        Assert.Equal("a\uFFFDb", Assert.Single(await stores.Commands.GetOutputAsync("cmd-1")).Text);
        Assert.Equal("x\uFFFDy", Assert.Single(await stores.ChatThreads.GetMessagesAsync("t-1")).Text);
    }

    // A trigger that aborts the first n inserts as a serialization failure would; the sequence
    // counts attempts (sequences are not rolled back).
    private Task FailCommandInsertsAsync(int times) => _schema.ExecuteAsync($$"""
        CREATE SEQUENCE insert_attempts;
        CREATE FUNCTION fail_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF nextval('insert_attempts') <= {{times}} THEN
                RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER fail_inserts BEFORE INSERT ON commands FOR EACH ROW EXECUTE FUNCTION fail_inserts();
        """);

    private Task<long> AttemptsAsync() => _schema.ScalarAsync<long>("SELECT last_value FROM insert_attempts");

    /// <summary>Terminates the backend of the pool's one idle connection, as a fail-over or restart would.</summary>
    private async Task KillPooledConnectionAsync()
    {
        int pid;
        await using (var connection = await _schema.DataSources.Primary.OpenConnectionAsync())
        {
            pid = connection.ProcessID;
        }

        await using var admin = await server.Admin.OpenConnectionAsync();
        await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(@pid, 5000)", admin);
        kill.Parameters.AddWithValue("pid", pid);
        Assert.Equal(true, await kill.ExecuteScalarAsync());
    }
}
