using ChatOps.Core.Domain;
using ChatOps.Postgres.Tests.Support;
using Npgsql;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Postgres.Tests.Migrations;

[Collection(PostgresCollection.Name)]
public sealed class PostgresMigratorTests(PostgresServerFixture server) : IAsyncLifetime
{
    private static readonly string[] StoreTables =
    [
        "agent_credentials", "alert_rules", "alert_threads", "alerts", "api_keys", "approvals", "audit_events", "chat_messages",
        "chat_threads", "command_output", "command_policies", "commands", "metric_1h", "metric_1m", "metric_rollup_state",
        "metric_samples", "metrics_backend", "notification_claims", "notification_outbox", "permission_rules",
        "schema_migrations", "servers", "silences", "user_identities", "user_passwords", "users",
    ];

    private static readonly PostgresMigration AddRegion = new(PostgresMigrations.All.Count + 1, "server_region", """
        ALTER TABLE servers ADD COLUMN region text NULL;
        UPDATE servers SET region = 'unknown';
        """);

    private TestSchema _schema = null!;

    public async Task InitializeAsync() => _schema = await TestSchema.CreateAsync(server, migrate: false);

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task An_empty_schema_is_created_and_gets_every_migration_and_all_tables()
    {
        var migrator = new PostgresMigrator(_schema.DataSources, _schema.Time);
        Assert.Empty(await migrator.GetAppliedVersionsAsync());

        var applied = await migrator.MigrateAsync();

        Assert.Equal(PostgresMigrations.All, applied);
        Assert.Equal(PostgresMigrations.All.Select(m => m.Version), await migrator.GetAppliedVersionsAsync());
        Assert.Equal(Enumerable.Range(1, PostgresMigrations.All.Count), PostgresMigrations.All.Select(m => m.Version));
        Assert.Equal(StoreTables, await TablesAsync());
        Assert.Equal(PostgresMigrations.All[^1].Version, migrator.LatestVersion);
    }

    [Fact]
    public async Task The_ledger_records_version_name_and_time_of_each_migration()
    {
        await new PostgresMigrator(_schema.DataSources, _schema.Time).MigrateAsync();

        var rows = await _schema.QueryAsync<(int Version, string Name, DateTime AppliedAt)>(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");

        Assert.Equal(PostgresMigrations.All.Select(m => (m.Version, m.Name)), rows.Select(r => (r.Version, r.Name)));
        Assert.All(rows, row => Assert.Equal(T0.UtcDateTime, row.AppliedAt));
    }

    [Fact]
    public async Task Running_again_applies_nothing()
    {
        await new PostgresMigrator(_schema.DataSources, _schema.Time).MigrateAsync();

        var again = await new PostgresMigrator(_schema.NewDataSources(), _schema.Time).MigrateAsync();

        Assert.Empty(again);
        Assert.Equal(PostgresMigrations.All.Count, await _schema.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task A_populated_schema_one_version_behind_gets_only_the_new_migration_and_keeps_its_data()
    {
        await new PostgresMigrator(_schema.DataSources, _schema.Time, [PostgresMigrations.Initial, PostgresMigrations.Metrics]).MigrateAsync();
        var stores = _schema.CreateStores();
        await stores.Servers.UpsertAsync(new Server("web-1", "Web 1", ["role:web"], T0));
        await stores.Commands.TryCreateAsync(FullCommand("cmd-1"));
        await stores.Audit.AppendAsync(new AuditEvent("ev-1", T0, "system", "store.migrated", null, "ok", null));

        var migrator = new PostgresMigrator(_schema.DataSources, _schema.Time, [.. PostgresMigrations.All, AddRegion]);
        var applied = await migrator.MigrateAsync();

        Assert.Equal([.. PostgresMigrations.All.Skip(2), AddRegion], applied);
        Assert.Equal(Enumerable.Range(1, PostgresMigrations.All.Count + 1), await migrator.GetAppliedVersionsAsync());
        AssertSameServer(new Server("web-1", "Web 1", ["role:web"], T0), await stores.Servers.GetAsync("web-1"));
        AssertSameCommand(FullCommand("cmd-1"), await stores.Commands.GetAsync("cmd-1"));
        Assert.Single(await stores.Audit.QueryAsync(new AuditQuery()));
        Assert.Equal("unknown", await _schema.ScalarAsync<string>("SELECT region FROM servers WHERE id = 'web-1'"));
        Assert.Empty(await _schema.CreateAlertingStores().Alerts.ListActiveAsync());
    }

    [Fact]
    public async Task A_failing_migration_applies_nothing_of_its_run_and_names_itself()
    {
        var broken = new PostgresMigration(PostgresMigrations.All.Count + 1, "broken", "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new PostgresMigrator(_schema.DataSources, _schema.Time, [.. PostgresMigrations.All, broken]).MigrateAsync());

        Assert.Contains($"{PostgresMigrations.All.Count + 1:000} 'broken'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await _schema.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = @schema", new { schema = _schema.Name }));
    }

    [Fact]
    public async Task Replicas_migrating_at_once_apply_each_migration_exactly_once()
    {
        // Separate pools, as separate processes would have; without the advisory lock, concurrent
        // CREATE TABLEs fail or a migration is applied twice.
        var replicas = Enumerable.Range(0, 4).Select(_ => new PostgresMigrator(_schema.NewDataSources(), _schema.Time)).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = replicas.Select(replica => Task.Run(async () =>
        {
            await start.Task;
            return await replica.MigrateAsync();
        })).ToList();

        start.SetResult();
        var results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(PostgresMigrations.All, results.SelectMany(applied => applied).OrderBy(m => m.Version));
        Assert.Equal(PostgresMigrations.All.Select(m => m.Version), await replicas[0].GetAppliedVersionsAsync());
        Assert.Equal(StoreTables, await TablesAsync());
    }

    [Fact]
    public async Task Two_schemas_in_one_database_migrate_independently()
    {
        await using var other = await TestSchema.CreateAsync(server, migrate: false);

        var results = await Task.WhenAll(
            new PostgresMigrator(_schema.DataSources, _schema.Time).MigrateAsync(),
            new PostgresMigrator(other.DataSources, other.Time).MigrateAsync());

        Assert.All(results, applied => Assert.Equal(PostgresMigrations.All, applied));
    }

    [Fact]
    public async Task The_audit_log_refuses_update_delete_and_truncate_even_in_SQL()
    {
        await new PostgresMigrator(_schema.DataSources, _schema.Time).MigrateAsync();
        await _schema.CreateStores().Audit.AppendAsync(new AuditEvent("ev-1", T0, "u-alice", "command.requested", "web-1", "ok", null));

        foreach (var sql in new[] { "UPDATE audit_events SET outcome = 'tampered'", "DELETE FROM audit_events", "TRUNCATE audit_events" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => _schema.ExecuteAsync(sql));
            Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        }

        Assert.Equal("ok", await _schema.ScalarAsync<string>("SELECT outcome FROM audit_events WHERE id = 'ev-1'"));
    }

    [Fact]
    public async Task Ids_sort_by_code_point_whatever_the_database_collation()
    {
        await new PostgresMigrator(_schema.DataSources, _schema.Time).MigrateAsync();

        var collations = await _schema.QueryAsync<string>("""
            SELECT DISTINCT c.relname || '.' || a.attname || '=' || coalesce(co.collname, 'default')
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            WHERE n.nspname = @schema AND c.relkind IN ('r', 'p') AND a.attcollation <> 0
                AND a.attname IN ('id', 'server_id', 'identity', 'fingerprint', 'alert_id', 'subject', 'route', 'event', 'owner')
            ORDER BY 1
            """, new { schema = _schema.Name });

        Assert.NotEmpty(collations);
        Assert.All(collations, column => Assert.EndsWith("=C", column, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Required_TimescaleDB_fails_the_migration_clearly_where_it_is_not_installed()
    {
        await using var required = await TestSchema.CreateAsync(server, migrate: false, configure: o => o.Metrics.Timescale = TimescaleMode.Required);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new PostgresMigrator(required.DataSources, required.Time).MigrateAsync());

        Assert.Contains("ChatOps:Postgres:Metrics:Timescale is Required", error.Message, StringComparison.Ordinal);
        Assert.Empty(await new PostgresMigrator(required.DataSources, required.Time).GetAppliedVersionsAsync());
    }

    [Fact]
    public async Task Disabled_TimescaleDB_uses_partitioning()
    {
        await using var disabled = await TestSchema.CreateAsync(server, configure: o => o.Metrics.Timescale = TimescaleMode.Disabled);

        Assert.Equal(MetricsBackend.Partitioned, await new PostgresMetricsMaintenance(disabled.DataSources).GetBackendAsync());
    }

    [Fact]
    public void Bad_migration_lists_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new PostgresMigrator(_schema.DataSources, _schema.Time, [new PostgresMigration(0, "zero", "SELECT 1")]));
        Assert.Throws<ArgumentException>(() => new PostgresMigrator(_schema.DataSources, _schema.Time, [PostgresMigrations.Initial, PostgresMigrations.Initial with { Name = "again" }]));
        Assert.Throws<ArgumentException>(() => new PostgresMigrator(_schema.DataSources, _schema.Time, [new PostgresMigration(1, "empty", " ")]));
    }

    private Task<IReadOnlyList<string>> TablesAsync() => _schema.QueryAsync<string>(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = @schema AND tablename NOT LIKE 'metric_samples_p%' " +
        "UNION SELECT relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @schema AND c.relkind = 'p' ORDER BY 1",
        new { schema = _schema.Name });
}
