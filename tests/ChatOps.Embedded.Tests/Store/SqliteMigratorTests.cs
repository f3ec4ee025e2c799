using ChatOps.Embedded.Sqlite;
using Dapper;
using Microsoft.Data.Sqlite;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Embedded.Tests.Store;

public sealed class SqliteMigratorTests : IAsyncLifetime
{
    private static readonly string[] StoreTables =
    [
        "agent_credentials", "alert_rules", "alert_threads", "alerts", "api_keys", "approvals", "audit_events", "chat_messages",
        "chat_threads", "command_output", "command_policies", "commands", "notification_claims", "notification_outbox",
        "permission_rules", "schema_migrations", "servers", "silences", "user_identities", "user_passwords", "users",
    ];

    private static readonly SqliteMigration AddRegion = new(2, "server_region", """
        ALTER TABLE servers ADD COLUMN region TEXT NULL;
        UPDATE servers SET region = 'unknown';
        """);

    private SqliteTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await SqliteTestDatabase.CreateAsync(migrate: false);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task An_empty_database_gets_every_migration_and_all_store_tables()
    {
        var migrator = new SqliteMigrator(_database.Connections, _database.Time);

        var applied = await migrator.MigrateAsync();

        Assert.Equal(SqliteMigrations.All, applied);
        Assert.Equal(SqliteMigrations.All.Select(m => m.Version), await migrator.GetAppliedVersionsAsync());
        Assert.Equal(StoreTables, await TablesAsync());
        Assert.Equal(SqliteMigrations.All.Select(m => m.Version), Enumerable.Range(1, SqliteMigrations.All.Count));
    }

    [Fact]
    public async Task The_ledger_records_version_name_and_time_of_each_migration()
    {
        await new SqliteMigrator(_database.Connections, _database.Time).MigrateAsync();

        await using var connection = await _database.Connections.OpenAsync();
        var rows = (await connection.QueryAsync<(long Version, string Name, string AppliedAt)>(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")).ToList();

        Assert.Equal(SqliteMigrations.All.Select(m => ((long)m.Version, m.Name)), rows.Select(r => (r.Version, r.Name)));
        Assert.All(rows, row => Assert.Equal("2025-03-04T05:06:07.8910000Z", row.AppliedAt));
    }

    [Fact]
    public async Task Running_twice_applies_nothing_the_second_time()
    {
        var migrator = new SqliteMigrator(_database.Connections, _database.Time);
        await migrator.MigrateAsync();

        var again = await new SqliteMigrator(_database.NewConnectionFactory(), _database.Time).MigrateAsync();

        Assert.Empty(again);
        Assert.Equal(SqliteMigrations.All.Select(m => m.Version), await migrator.GetAppliedVersionsAsync());
    }

    [Fact]
    public async Task A_database_one_version_behind_gets_only_the_new_migration_and_keeps_its_data()
    {
        await new SqliteMigrator(_database.Connections, _database.Time, [SqliteMigrations.Initial]).MigrateAsync();
        var stores = _database.CreateStores();
        await stores.Servers.UpsertAsync(new ChatOps.Core.Domain.Server("web-1", "Web 1", ["role:web"], T0));
        await stores.Commands.TryCreateAsync(FullCommand("cmd-1"));

        var migrator = new SqliteMigrator(_database.Connections, _database.Time, [SqliteMigrations.Initial, AddRegion]);
        var applied = await migrator.MigrateAsync();

        Assert.Equal([AddRegion], applied);
        Assert.Equal([1, 2], await migrator.GetAppliedVersionsAsync());
        AssertSameServer(new ChatOps.Core.Domain.Server("web-1", "Web 1", ["role:web"], T0), await stores.Servers.GetAsync("web-1"));
        AssertSameCommand(FullCommand("cmd-1"), await stores.Commands.GetAsync("cmd-1"));
        await using var connection = await _database.Connections.OpenAsync();
        Assert.Equal("unknown", await connection.ExecuteScalarAsync<string>("SELECT region FROM servers WHERE id = 'web-1'"));
    }

    [Fact]
    public async Task A_failing_migration_leaves_the_database_as_it_was()
    {
        var broken = new SqliteMigration(2, "broken", "CREATE TABLE half_done (a TEXT); SELECT * FROM no_such_table;");
        var migrator = new SqliteMigrator(_database.Connections, _database.Time, [SqliteMigrations.Initial, broken]);

        var error = await Assert.ThrowsAsync<SqliteException>(() => migrator.MigrateAsync());

        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
        Assert.Empty(await migrator.GetAppliedVersionsAsync());
        Assert.Empty(await TablesAsync());

        Assert.Equal([SqliteMigrations.Initial], await new SqliteMigrator(_database.Connections, _database.Time, [SqliteMigrations.Initial]).MigrateAsync());
    }

    [Fact]
    public async Task Migrators_racing_on_one_file_apply_each_migration_once()
    {
        var migrators = Enumerable.Range(0, 4)
            .Select(_ => new SqliteMigrator(_database.NewConnectionFactory(), _database.Time))
            .ToList();

        var results = await Task.WhenAll(migrators.Select(m => Task.Run(() => m.MigrateAsync()))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(SqliteMigrations.All, results.SelectMany(applied => applied));
        Assert.Equal(SqliteMigrations.All.Select(m => m.Version), await migrators[0].GetAppliedVersionsAsync());
    }

    [Fact]
    public void A_migration_list_with_a_repeated_or_non_positive_version_is_refused()
    {
        var duplicate = Assert.Throws<ArgumentException>(() => new SqliteMigrator(
            _database.Connections, _database.Time, [SqliteMigrations.Initial, SqliteMigrations.Initial with { Name = "again" }]));
        var zero = Assert.Throws<ArgumentException>(() => new SqliteMigrator(
            _database.Connections, _database.Time, [new SqliteMigration(0, "zero", "SELECT 1")]));

        Assert.Contains("version 1 appears twice", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("versions start at 1", zero.Message, StringComparison.Ordinal);
    }

    private async Task<List<string>> TablesAsync()
    {
        await using var connection = await _database.Connections.OpenAsync();
        return (await connection.QueryAsync<string>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).ToList();
    }
}
