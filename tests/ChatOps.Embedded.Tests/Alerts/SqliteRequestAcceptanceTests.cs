using ChatOps.Conformance.Alerts;
using ChatOps.Embedded.Tests.Store;

namespace ChatOps.Embedded.Tests.Alerts;

// The request acceptance claim on the SQLite ledger; a replica is another connection factory on the same file.
public sealed class SqliteRequestAcceptanceTests : RequestAcceptanceConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Database.CreateAlertingStores(Database.NewConnectionFactory());

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);

    private SqliteTestDatabase Database => _database ?? throw new InvalidOperationException("the database is created in InitializeAsync");
}
