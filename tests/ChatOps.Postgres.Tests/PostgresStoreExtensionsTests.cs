using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Postgres.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreExtensionsTests(PostgresServerFixture server) : IAsyncLifetime
{
    private static readonly Type[] Ports =
    [
        typeof(IServerStore), typeof(IAgentCredentialStore), typeof(ICommandStore), typeof(IAuditStore),
        typeof(IUserStore), typeof(IChatThreadStore), typeof(IMetricsStore), typeof(IAlertStore), typeof(IAlertRuleStore),
        typeof(ISilenceStore), typeof(INotificationLedger), typeof(INotificationOutbox),
        typeof(IPolicyStore), typeof(IApprovalStore), typeof(IUserAccountStore),
    ];

    private TestSchema _schema = null!;

    public async Task InitializeAsync() => _schema = await TestSchema.CreateAsync(server, migrate: false);

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public void Null_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => PostgresStoreExtensions.AddPostgresStore(null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddPostgresStore(null!));
    }

    [Fact]
    public void Every_port_is_registered_once_as_a_singleton_even_when_added_twice()
    {
        var services = new ServiceCollection();

        services.AddPostgresStore(Configure).AddPostgresStore(Configure);

        Assert.All(Ports, port =>
        {
            var registration = Assert.Single(services, d => d.ServiceType == port);
            Assert.Equal(ServiceLifetime.Singleton, registration.Lifetime);
        });
        Assert.Equal(2, services.Count(d => d.ServiceType == typeof(IHostedService)));
    }

    [Fact]
    public void Bad_options_fail_at_start_with_every_problem_named_by_its_key()
    {
        var services = new ServiceCollection().AddPostgresStore(o =>
        {
            o.ConnectionString = "";
            o.Schema = "Bad-Schema";
            o.Metrics.Retention = TimeSpan.FromHours(1);
            o.Metrics.IngestBufferCapacity = 1;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.StartsWith("ChatOps:Postgres:ConnectionString is empty", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatOps:Postgres:Schema 'Bad-Schema'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatOps:Postgres:Metrics:Retention", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatOps:Postgres:Metrics:IngestBufferCapacity", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_connection_string_is_named_without_echoing_it()
    {
        var failures = new PostgresStoreOptions { ConnectionString = "Host=db;Password=hunter2;Bogus Keyword=1" }.Validate();

        var failure = Assert.Single(failures);
        Assert.StartsWith("ChatOps:Postgres:ConnectionString is not a valid Npgsql connection string", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hosted_services_migrate_and_prepare_partitions_at_start_and_the_ports_then_work()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 4, 12, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time).AddPostgresStore(Configure);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        Assert.All(Ports, port => Assert.Same(provider.GetRequiredService(port), provider.GetRequiredService(port)));
        var servers = provider.GetRequiredService<IServerStore>();
        await servers.UpsertAsync(new Server("web-1", null, [], T0));
        Assert.NotNull(await servers.GetAsync("web-1"));
        Assert.Empty(await provider.GetRequiredService<IAlertStore>().ListActiveAsync());
        Assert.Empty(await provider.GetRequiredService<PostgresMigrator>().MigrateAsync());
        Assert.Contains("metric_samples_p20250307", await _schema.QueryAsync<string>("SELECT tablename::text FROM pg_tables WHERE schemaname = @s", new { s = _schema.Name }));

        var ingestor = provider.GetRequiredService<PostgresMetricsIngestor>();
        await ingestor.EnqueueAsync(new MetricSnapshot("web-1", time.GetUtcNow(), [new MetricSample(MetricNames.Load1, NoLabels, 0.5)]));
        foreach (var hosted in provider.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        // Stopping the host stored what the ingestor still held.
        Assert.Equal(1, await _schema.ScalarAsync<long>("SELECT count(*) FROM metric_samples"));
    }

    [Fact]
    public async Task The_health_probe_is_ready_only_once_the_schema_is_current()
    {
        await using var provider = new ServiceCollection().AddPostgresStore(Configure).BuildServiceProvider();
        var probe = provider.GetRequiredService<PostgresHealthProbe>();

        var before = await probe.CheckAsync();
        await provider.GetRequiredService<PostgresMigrator>().MigrateAsync();
        var after = await probe.CheckAsync();

        Assert.False(before.IsReady);
        Assert.Contains("migrations pending", before.Checks["postgres"], StringComparison.Ordinal);
        Assert.True(after.IsReady);
        Assert.Equal(new Dictionary<string, string> { ["postgres"] = "ok" }, after.Checks);
    }

    [Fact]
    public async Task The_health_probe_reports_an_unreachable_replica_without_throwing()
    {
        await new PostgresMigrator(_schema.DataSources, _schema.Time).MigrateAsync();
        await using var provider = new ServiceCollection().AddPostgresStore(o =>
        {
            Configure(o);
            o.ReadReplicaConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=2";
            o.MaxRetryAttempts = 0;
        }).BuildServiceProvider();

        var health = await provider.GetRequiredService<PostgresHealthProbe>().CheckAsync();

        Assert.False(health.IsReady);
        Assert.Equal("ok", health.Checks["postgres"]);
        Assert.StartsWith("failing: ", health.Checks["postgres-replica"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_audit_and_metric_queries_read_the_replica_and_the_state_machine_reads_the_primary()
    {
        // Two schemas stand in for primary and replica: a row only the "replica" has shows where a read went.
        await using var replica = await TestSchema.CreateAsync(server);
        await new PostgresMigrator(_schema.DataSources, _schema.Time).MigrateAsync();
        await using var both = new PostgresDataSources(new PostgresStoreOptions
        {
            ConnectionString = server.ConnectionString + ";Search Path=" + _schema.Name,
            ReadReplicaConnectionString = server.ConnectionString + ";Search Path=" + replica.Name,
        });
        var commands = new PostgresCommandStore(both);
        await commands.TryCreateAsync(Command("on-primary"));
        var onReplica = replica.CreateStores();
        await onReplica.Commands.TryCreateAsync(Command("on-replica"));
        await onReplica.Audit.AppendAsync(new AuditEvent("ev-replica", T0, "system", "x", null, "ok", null));
        await new PostgresMetricsStore(replica.DataSources).AppendAsync([new MetricSnapshot("web-1", T0, [new MetricSample(MetricNames.Load1, NoLabels, 1)])]);

        Assert.NotNull(await commands.GetAsync("on-primary"));
        Assert.Equal(["on-primary"], (await commands.ListByStateAsync([CommandState.Queued])).Select(c => c.Id));
        Assert.Equal(["on-replica"], (await commands.ListRecentAsync()).Select(c => c.Id));
        Assert.Equal(["on-replica"], (await commands.ListByRequestAsync("on-replica")).Select(c => c.Id));
        Assert.Equal(["ev-replica"], (await new PostgresAuditStore(both).QueryAsync(new AuditQuery())).Select(e => e.Id));
        Assert.Single((await new PostgresMetricsStore(both).QueryAsync(new MetricQuery("web-1", MetricNames.Load1, T0, T0.AddMinutes(1)))).Points);
    }

    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private void Configure(PostgresStoreOptions options)
    {
        options.ConnectionString = server.ConnectionString;
        options.Schema = _schema.Name;
    }
}
