using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Embedded.Tests.Store;

public sealed class SqliteStoreExtensionsTests : IAsyncLifetime
{
    private static readonly Type[] Ports =
    [
        typeof(IServerStore), typeof(IAgentCredentialStore), typeof(ICommandStore),
        typeof(IAuditStore), typeof(IUserStore), typeof(IChatThreadStore),
    ];

    private SqliteTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await SqliteTestDatabase.CreateAsync(migrate: false);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public void A_null_service_collection_is_refused()
    {
        Assert.Throws<ArgumentNullException>(() => SqliteStoreExtensions.AddSqliteStore(null!));
    }

    [Fact]
    public void Every_store_port_is_registered_once_as_a_singleton_even_when_added_twice()
    {
        var services = new ServiceCollection();

        services.AddSqliteStore(o => o.Path = _database.Path).AddSqliteStore(o => o.Path = _database.Path);

        Assert.All(Ports, port =>
        {
            var registration = Assert.Single(services, d => d.ServiceType == port);
            Assert.Equal(ServiceLifetime.Singleton, registration.Lifetime);
        });
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public async Task The_hosted_service_migrates_at_start_and_the_ports_then_work_on_the_configured_file()
    {
        var services = new ServiceCollection().AddSqliteStore(o => o.Path = _database.Path);
        using var provider = new TestServiceProvider(services);

        var hosted = Assert.IsType<SqliteMigrationHostedService>(Assert.Single(provider.GetServices<IHostedService>()));
        await hosted.StartAsync(CancellationToken.None);

        Assert.All(Ports, port => Assert.Same(provider.GetRequiredService(port), provider.GetRequiredService(port)));
        var servers = provider.GetRequiredService<IServerStore>();
        await servers.UpsertAsync(new Server("web-1", null, [], T0));
        Assert.NotNull(await servers.GetAsync("web-1"));
        Assert.Equal(_database.Path, provider.GetRequiredService<SqliteConnectionFactory>().DatabasePath);
        Assert.Empty(await provider.GetRequiredService<SqliteMigrator>().MigrateAsync());
    }

    [Fact]
    public void Without_configuration_the_default_path_is_used()
    {
        using var provider = new TestServiceProvider(new ServiceCollection().AddSqliteStore());

        Assert.Equal(SqliteStoreOptions.DefaultPath, provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value.Path);
        Assert.Equal("./data/chatops.db", SqliteStoreOptions.DefaultPath);
    }

    [Fact]
    public void An_empty_path_fails_with_the_configuration_key()
    {
        using var provider = new TestServiceProvider(new ServiceCollection().AddSqliteStore(o => o.Path = ""));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<SqliteConnectionFactory>());

        Assert.Contains("ChatOps:Sqlite:Path", error.Message, StringComparison.Ordinal);
    }
}
