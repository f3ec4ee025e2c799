using ChatOps.Conformance.Alerts;
using ChatOps.Conformance.Store;
using Dapper;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Postgres.Tests.Support;

/// <summary>A schema of its own for one test (<c>t_&lt;guid&gt;</c>), dropped with everything in it on dispose.</summary>
public sealed class TestSchema : IAsyncDisposable
{
    private readonly PostgresServerFixture _server;
    private readonly List<PostgresDataSources> _dataSources = [];

    private TestSchema(PostgresServerFixture server, string name)
    {
        _server = server;
        Name = name;
    }

    public string Name { get; }

    public FakeTimeProvider Time { get; } = new(StoreTestData.T0);

    /// <summary>The data sources made by <see cref="CreateAsync"/>.</summary>
    public PostgresDataSources DataSources => _dataSources[0];

    /// <summary>A fresh schema, migrated to the newest version unless <paramref name="migrate"/> is false.</summary>
    public static async Task<TestSchema> CreateAsync(PostgresServerFixture server, bool migrate = true, Action<PostgresStoreOptions>? configure = null)
    {
        var schema = new TestSchema(server, "t_" + Guid.NewGuid().ToString("N"));
        schema.NewDataSources(configure);
        if (migrate)
        {
            await new PostgresMigrator(schema.DataSources, schema.Time).MigrateAsync();
        }

        return schema;
    }

    public PostgresStoreOptions Options(Action<PostgresStoreOptions>? configure = null)
    {
        var options = new PostgresStoreOptions { ConnectionString = _server.ConnectionString, Schema = Name };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Another set of pools on the same schema: behaves like another replica of the service.</summary>
    public PostgresDataSources NewDataSources(Action<PostgresStoreOptions>? configure = null)
    {
        // The retry pause uses the real clock: tests move the fake one only for what they measure.
        var dataSources = new PostgresDataSources(Options(configure), TimeProvider.System);
        _dataSources.Add(dataSources);
        return dataSources;
    }

    public StoreSet CreateStores(PostgresDataSources? dataSources = null)
    {
        dataSources ??= DataSources;
        return new StoreSet(
            new PostgresServerStore(dataSources),
            new PostgresAgentCredentialStore(dataSources, Time),
            new PostgresCommandStore(dataSources),
            new PostgresAuditStore(dataSources),
            new PostgresUserStore(dataSources),
            new PostgresChatThreadStore(dataSources));
    }

    public AlertingStores CreateAlertingStores(PostgresDataSources? dataSources = null)
    {
        dataSources ??= DataSources;
        return new AlertingStores(
            new PostgresAlertStore(dataSources),
            new PostgresAlertRuleStore(dataSources),
            new PostgresSilenceStore(dataSources),
            new PostgresNotificationLedger(dataSources),
            new PostgresNotificationOutbox(dataSources));
    }

    /// <summary>Runs SQL in this schema, for a test's own checks.</summary>
    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await DataSources.Primary.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException($"no value from: {sql}");
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await DataSources.Primary.OpenConnectionAsync();
        return (await connection.QueryAsync<T>(sql, parameters)).ToList();
    }

    public async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await DataSources.Primary.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSources in _dataSources)
        {
            await dataSources.DisposeAsync();
        }

        await using var connection = await _server.Admin.OpenConnectionAsync();
        await connection.ExecuteAsync($"DROP SCHEMA IF EXISTS {Name} CASCADE");
    }
}
