using ChatOps.Conformance.Store;

namespace ChatOps.Embedded.Tests.Store;

// The store conformance suites, run against a fresh SQLite file per test.

public sealed class SqliteServerStoreTests : ServerStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<StoreSet> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class SqliteAgentCredentialStoreTests : AgentCredentialStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<StoreSet> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class SqliteCommandStoreTests : CommandStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<StoreSet> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class SqliteAuditStoreTests : AuditStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<StoreSet> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class SqliteUserStoreTests : UserStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<StoreSet> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class SqliteChatThreadStoreTests : ChatThreadStoreConformanceTests
{
    private SqliteTestDatabase? _database;

    protected override async Task<StoreSet> CreateStoresAsync() => (_database = await SqliteTestDatabase.CreateAsync()).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_database?.DisposeAsync() ?? ValueTask.CompletedTask);
}
