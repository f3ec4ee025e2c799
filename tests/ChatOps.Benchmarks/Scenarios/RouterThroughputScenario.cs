using System.Diagnostics;
using System.Globalization;
using ChatOps.Core;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Core.Routing;
using ChatOps.Benchmarks.Scale;
using ChatOps.Embedded;
using ChatOps.Kafka;
using ChatOps.Postgres;
using ChatOps.Redis;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 3: router throughput with locks across many servers whose simulated agents answer at once,
/// on the embedded adapters (in-process bus and state, SQLite). Baseline: raw acquire+release of the
/// same lock implementation in the same run.
/// </summary>
public static class RouterThroughputScenario
{
    public static async Task RunAsync(BenchArgs args)
    {
        var path = Path.Combine(Path.GetTempPath(), $"chatops-bench-router-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSqliteStore(o => o.Path = path);
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        await MeasureAsync(services, args, "raw lock acquire+release (in-process)");
        Console.WriteLine("target: >= 10,000 commands/s in scale mode (router-scale); this run is the embedded default with SQLite");
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
    }

    /// <summary>
    /// The same measurement in scale mode: PostgreSQL store, Redis locks/registry/pub-sub, Kafka bus (librdkafka's
    /// mock cluster, 3 brokers, 12 partitions), all in this process against real servers. Baseline: raw
    /// acquire+release of <c>RedisCommandLock</c> on the same redis-server.
    /// </summary>
    public static async Task RunScaleAsync(BenchArgs args)
    {
        await using var backends = await ScaleBackends.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddPostgresStore(options => options.ConnectionString = backends.PostgresConnectionString);
        services.AddKafkaBus(o =>
        {
            o.BootstrapServers = backends.KafkaBootstrap;
            o.ReplicationFactor = 3;
            // The mock cluster holds an empty fetch for the whole wait, and rebalances at session-timeout pace.
            o.FetchWaitMax = TimeSpan.FromMilliseconds(5);
            o.SessionTimeout = TimeSpan.FromSeconds(6);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
        });
        services.AddRedisState(o => o.Configuration = backends.RedisConfiguration);
        services.AddChatOpsCore();
        await MeasureAsync(services, args, "raw RedisCommandLock acquire+release");
        Console.WriteLine("target: >= 10,000 commands/s in scale mode (PostgreSQL with default durability; Kafka is the mock cluster: compare ratios)");
    }

    private static async Task MeasureAsync(ServiceCollection services, BenchArgs args, string baselineName)
    {
        var commands = Math.Max(args.Requests, 1000);
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);

        var locks = provider.GetRequiredService<ICommandLock>();
        var baseline = await RawLockOpsPerSecondAsync(locks, args.Servers, args.Concurrency);

        var time = provider.GetRequiredService<TimeProvider>();
        await provider.GetRequiredService<IUserStore>().UpsertUserAsync(new User("bench", "bench", [Roles.Admin], time.GetUtcNow()));
        var serverStore = provider.GetRequiredService<IServerStore>();
        var gateway = provider.GetRequiredService<AgentGateway>();
        await gateway.StartAsync(CancellationToken.None);
        var agents = new List<InstantAgent>();
        for (var i = 0; i < args.Servers; i++)
        {
            var id = $"s-{i:D4}";
            await serverStore.UpsertAsync(new Server(id, null, [], time.GetUtcNow()));
            var agent = new InstantAgent(id, gateway);
            agents.Add(agent);
            await gateway.OnHelloAsync(agent, new HelloFrame(id, AgentProtocol.Version, "bench", "bench", ["uptime"]), CancellationToken.None);
        }

        // Heartbeats, as real agents send them: without them every registration expires part-way through a
        // long run and the rest of the commands fail at once as "agent offline" (which looked like throughput).
        using var stopHeartbeats = new CancellationTokenSource();
        var heartbeats = Task.Run(async () =>
        {
            for (long seq = 1; !stopHeartbeats.IsCancellationRequested; seq++)
            {
                foreach (var agent in agents) await gateway.OnFrameAsync(agent, new HeartbeatFrame(seq, time.GetUtcNow()), CancellationToken.None);
                try { await Task.Delay(TimeSpan.FromSeconds(2), stopHeartbeats.Token); } catch (OperationCanceledException) { }
            }
        });

        var bus = provider.GetRequiredService<IEventBus>();
        var router = provider.GetRequiredService<CommandRouter>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = 0;
        var succeeded = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var routing = await bus.SubscribeAsync(Topics.Commands, CommandRouter.ConsumerGroup, router.HandleAsync);
        await using var counting = await bus.SubscribeAsync(Topics.Commands, "bench-count-" + Guid.NewGuid().ToString("N")[..8], (envelope, _) =>
        {
            if (envelope.Type == EventTypes.CommandCompleted) Interlocked.Increment(ref succeeded);
            if (envelope.Type == EventTypes.CommandFailed && failures.Count < 3) failures.Add(envelope.Read<CommandFailed>().Message);
            if (envelope.Type is EventTypes.CommandCompleted or EventTypes.CommandFailed && Interlocked.Increment(ref finished) == commands)
                done.TrySetResult();
            return Task.CompletedTask;
        });

        var requester = new Requester("bench", "bench", "bench");
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < commands; i++)
        {
            var target = $"s-{i % args.Servers:D4}";
            var request = new CommandRequested($"b{i}-{Guid.NewGuid().ToString("N")[..6]}", "run uptime", "run", target, new Dictionary<string, string> { ["target"] = target, ["action"] = "uptime" },
                [], new Dictionary<string, string>(), requester, new ChatRef("bench", "c", null), time.GetUtcNow());
            await bus.PublishAsync(Topics.Commands, Envelope.Create(EventTypes.CommandRequested, target, request, time.GetUtcNow()));
        }

        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        stopwatch.Stop();
        var cpuPerCommand = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / commands;
        var perSecond = commands / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"baseline: " + baselineName,-52} {baseline,10:0} ops/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{$"router: {commands} commands over {args.Servers} servers",-52} {perSecond,10:0} commands/s ({stopwatch.Elapsed.TotalSeconds:0.00} s, {succeeded} succeeded)"));
        Report.Ratio("router throughput", perSecond, baseline);
        foreach (var failure in failures) Console.WriteLine("a failure: " + failure);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per command in this process (router, gateway, simulated agents, bus and store clients): {cpuPerCommand:0.00} ms; machine load average {AckLatencyScenario.LoadAverage()}"));
        await stopHeartbeats.CancelAsync();
        await heartbeats;
        await gateway.StopAsync(CancellationToken.None);
        foreach (var hosted in provider.GetServices<IHostedService>().Reverse()) await hosted.StopAsync(CancellationToken.None);
    }

    private static async Task<double> RawLockOpsPerSecondAsync(ICommandLock locks, int servers, int concurrency)
    {
        const int operations = 50_000;
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < operations)
            {
                var lease = await locks.TryAcquireAsync($"raw-{i % servers}", $"o{i}", "bench", TimeSpan.FromSeconds(30));
                if (lease is not null) await locks.ReleaseAsync(lease);
            }
        }));
        return operations / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>An agent that accepts and finishes every dispatch at once.</summary>
    private sealed class InstantAgent(string serverId, AgentGateway gateway) : IAgentSession
    {
        public string ConnectionId { get; } = "c-" + serverId;
        public string ServerId { get; } = serverId;

        public Task SendAsync(AgentFrame frame, CancellationToken cancellationToken)
        {
            if (frame is DispatchFrame dispatch)
            {
                _ = Task.Run(async () =>
                {
                    await gateway.OnFrameAsync(this, new AcceptedFrame(dispatch.CommandId), CancellationToken.None);
                    await gateway.OnFrameAsync(this, new ResultFrame(dispatch.CommandId, ResultStatuses.Succeeded, 0, 1, false, 0), CancellationToken.None);
                }, CancellationToken.None);
            }

            return Task.CompletedTask;
        }

        public Task CloseAsync(string reason, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
