using ChatOps.EndToEnd.Tests.Fixtures;
using ChatOps.Postgres.Tests.Support;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.EndToEnd.Tests.Scale;

/// <summary>
/// Scale mode on one machine: a 3-broker Kafka-protocol cluster (librdkafka's mock), a real Redis and a
/// real PostgreSQL, and four chatops processes split by service, as a deployment would run them.
/// </summary>
public sealed class ScaleCluster : IAsyncLifetime
{
    public const string RulesYaml = """
        rules:
          - name: host-is-up
            metric: uptime_seconds
            target: "*"
            comparator: ">"
            threshold: 0
            for: 0s
            severity: info
            routes:
              - platform: web
                channel: alerts
        """;

    private readonly RedisServerFixture _redis = new();
    private MockKafkaProcess? _kafka;
    private PostgresServer? _postgres;
    private string _rulesDir = "";

    public ChatOpsServer ChatWeb { get; private set; } = null!;
    public ChatOpsServer Router { get; private set; } = null!;
    public ChatOpsServer Gateway { get; private set; } = null!;
    public ChatOpsServer Workers { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _kafka = await MockKafkaProcess.StartAsync();
        await _redis.InitializeAsync();
        _postgres = await PostgresServer.StartAsync();
        _rulesDir = Directory.CreateTempSubdirectory("chatops-scale-rules-").FullName;
        var rules = Path.Combine(_rulesDir, "rules.yaml");
        await File.WriteAllTextAsync(rules, RulesYaml);

        var shared = ScaleSettings.Shared(_kafka.BootstrapServers, _redis.Configuration, _postgres.ConnectionString);
        shared["ChatOps__Alerts__RulesFile"] = rules;
        shared["ChatOps__Gateway__MetricsInterval"] = "00:00:01";

        // The store is migrated by the first process; the others find it ready.
        ChatWeb = await ChatOpsServer.StartAsync(settings: With(shared, "chat,web"));
        (Router, Gateway, Workers) = await (
            ChatOpsServer.StartAsync(settings: With(shared, "router")),
            ChatOpsServer.StartAsync(settings: With(shared, "agent-gateway")),
            ChatOpsServer.StartAsync(settings: With(shared, "metrics,alerts,notifications,scheduler")));
    }

    private static Dictionary<string, string> With(Dictionary<string, string> shared, string services) =>
        new(shared) { ["ChatOps__Services"] = services };

    public async Task DisposeAsync()
    {
        foreach (var process in new[] { ChatWeb, Router, Gateway, Workers }.Where(p => p is not null))
            await process.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        await _redis.DisposeAsync();
        if (_kafka is not null) await _kafka.DisposeAsync();
        try { Directory.Delete(_rulesDir, recursive: true); } catch (IOException) { }
    }
}

internal static class TaskTuples
{
    public static System.Runtime.CompilerServices.TaskAwaiter<(T1, T2, T3)> GetAwaiter<T1, T2, T3>(this (Task<T1>, Task<T2>, Task<T3>) tasks) =>
        Combine(tasks).GetAwaiter();

    private static async Task<(T1, T2, T3)> Combine<T1, T2, T3>((Task<T1> A, Task<T2> B, Task<T3> C) tasks)
    {
        await Task.WhenAll(tasks.A, tasks.B, tasks.C);
        return (tasks.A.Result, tasks.B.Result, tasks.C.Result);
    }
}
