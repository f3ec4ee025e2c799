using ChatOps.Conformance.Alerts;
using ChatOps.Embedded.Tests.Store;

namespace ChatOps.Embedded.Tests.Alerts;

// The alerting store conformance suites, run against a fresh SQLite file per test. A replica is
// another connection factory on the same file: no shared write gate, as in a second process.

public sealed class SqliteAlertStoreTests : AlertStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Database.CreateAlertingStores(Database.NewConnectionFactory());

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);

    private SqliteTestDatabase Database => _database ?? throw new InvalidOperationException("the database is created in InitializeAsync");
}

public sealed class SqliteAlertRuleStoreTests : AlertRuleStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Database.CreateAlertingStores(Database.NewConnectionFactory());

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);

    private SqliteTestDatabase Database => _database ?? throw new InvalidOperationException("the database is created in InitializeAsync");
}

public sealed class SqliteSilenceStoreTests : SilenceStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Database.CreateAlertingStores(Database.NewConnectionFactory());

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);

    private SqliteTestDatabase Database => _database ?? throw new InvalidOperationException("the database is created in InitializeAsync");
}

public sealed class SqliteNotificationLedgerTests : NotificationLedgerConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Database.CreateAlertingStores(Database.NewConnectionFactory());

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);

    private SqliteTestDatabase Database => _database ?? throw new InvalidOperationException("the database is created in InitializeAsync");
}

public sealed class SqliteNotificationOutboxTests : NotificationOutboxConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Database.CreateAlertingStores(Database.NewConnectionFactory());

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);

    private SqliteTestDatabase Database => _database ?? throw new InvalidOperationException("the database is created in InitializeAsync");
}
