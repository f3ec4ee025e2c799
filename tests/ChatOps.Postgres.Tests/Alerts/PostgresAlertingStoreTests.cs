using ChatOps.Conformance.Alerts;
using ChatOps.Postgres.Tests.Support;

namespace ChatOps.Postgres.Tests.Alerts;

// The alerting store conformance suites, unchanged, each test in a fresh schema of the shared
// server. A replica is another set of pools on the same schema, as another process would have.

[Collection(PostgresCollection.Name)]
public sealed class PostgresAlertStoreTests(PostgresServerFixture server) : AlertStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Schema.CreateAlertingStores(Schema.NewDataSources());

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);

    private TestSchema Schema => _schema ?? throw new InvalidOperationException("the schema is created in InitializeAsync");
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAlertRuleStoreTests(PostgresServerFixture server) : AlertRuleStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Schema.CreateAlertingStores(Schema.NewDataSources());

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);

    private TestSchema Schema => _schema ?? throw new InvalidOperationException("the schema is created in InitializeAsync");
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSilenceStoreTests(PostgresServerFixture server) : SilenceStoreConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Schema.CreateAlertingStores(Schema.NewDataSources());

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);

    private TestSchema Schema => _schema ?? throw new InvalidOperationException("the schema is created in InitializeAsync");
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresNotificationLedgerTests(PostgresServerFixture server) : NotificationLedgerConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Schema.CreateAlertingStores(Schema.NewDataSources());

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);

    private TestSchema Schema => _schema ?? throw new InvalidOperationException("the schema is created in InitializeAsync");
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresNotificationOutboxTests(PostgresServerFixture server) : NotificationOutboxConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Schema.CreateAlertingStores(Schema.NewDataSources());

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);

    private TestSchema Schema => _schema ?? throw new InvalidOperationException("the schema is created in InitializeAsync");
}
