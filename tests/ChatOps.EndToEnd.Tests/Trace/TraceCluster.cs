using ChatOps.EndToEnd.Tests.Fixtures;
using ChatOps.EndToEnd.Tests.Scale;
using ChatOps.Redis.Tests.Support;
using ChatOps.Postgres.Tests.Support;

namespace ChatOps.EndToEnd.Tests.Trace;

/// <summary>
/// Scale mode with JSON logs: Kafka (librdkafka's mock cluster), Redis and PostgreSQL, and three chatops
/// processes (chat+web+notifications, router, agent-gateway), so a trace has to cross process boundaries.
/// </summary>
public sealed class TraceCluster : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private MockKafkaProcess? _kafka;
    private PostgresServer? _postgres;

    public ChatOpsServer Chat { get; private set; } = null!;
    public ChatOpsServer Router { get; private set; } = null!;
    public ChatOpsServer Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _kafka = await MockKafkaProcess.StartAsync();
        await _redis.InitializeAsync();
        _postgres = await PostgresServer.StartAsync();
        var shared = ScaleSettings.Shared(_kafka.BootstrapServers, _redis.Configuration, _postgres.ConnectionString);
        shared["ChatOps__Logging__Format"] = "json";

        // The store is migrated by the first process; the others find it ready.
        Chat = await ChatOpsServer.StartAsync(settings: new Dictionary<string, string>(shared) { ["ChatOps__Services"] = "chat,web,notifications" });
        var router = ChatOpsServer.StartAsync(settings: new Dictionary<string, string>(shared) { ["ChatOps__Services"] = "router" });
        var gateway = ChatOpsServer.StartAsync(settings: new Dictionary<string, string>(shared) { ["ChatOps__Services"] = "agent-gateway" });
        Router = await router;
        Gateway = await gateway;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in new[] { Chat, Router, Gateway }.Where(p => p is not null))
            await process.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        await _redis.DisposeAsync();
        if (_kafka is not null) await _kafka.DisposeAsync();
    }
}
