using ChatOps.Conformance.Alerts;
using ChatOps.Postgres.Tests.Support;

namespace ChatOps.Postgres.Tests.Alerts;

// The request acceptance claim on the PostgreSQL ledger; a replica is another set of pools on the same schema.
[Collection(PostgresCollection.Name)]
public sealed class PostgresRequestAcceptanceTests(PostgresServerFixture server) : RequestAcceptanceConformanceTests
{
    private TestSchema? _schema;

    protected override async Task<AlertingStores> CreateStoresAsync() => (_schema = await TestSchema.CreateAsync(server)).CreateAlertingStores();

    protected override AlertingStores CreateReplicaStores() => Schema.CreateAlertingStores(Schema.NewDataSources());

    protected override async Task DestroyStoresAsync() => await (_schema?.DisposeAsync() ?? ValueTask.CompletedTask);

    private TestSchema Schema => _schema ?? throw new InvalidOperationException("the schema is created in InitializeAsync");
}
