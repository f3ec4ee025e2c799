using ChatOps.Conformance.Store;
using ChatOps.Postgres.Tests.Support;

namespace ChatOps.Postgres.Tests.Store;

// The store conformance suites, unchanged, each test in a fresh schema of the shared server.

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerStoreTests(PostgresServerFixture server) : ServerStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<StoreSet> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAgentCredentialStoreTests(PostgresServerFixture server) : AgentCredentialStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<StoreSet> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCommandStoreTests(PostgresServerFixture server) : CommandStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<StoreSet> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAuditStoreTests(PostgresServerFixture server) : AuditStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<StoreSet> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresUserStoreTests(PostgresServerFixture server) : UserStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<StoreSet> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresChatThreadStoreTests(PostgresServerFixture server) : ChatThreadStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<StoreSet> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateStores();

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);
}
