using ChatOps.Core.Agents;
using ChatOps.Core.Approvals;
using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
using ChatOps.Core.Notifications;
using ChatOps.Core.Ports;
using ChatOps.Core.Routing;
using ChatOps.Core.Tests.Routing;
using ChatOps.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Core.Tests.Approvals;

/// <summary>
/// Intake, router, gateway, notifier and approval notifier as wired in the server, on the embedded
/// adapters with the SQLite policy and approval stores and a fake clock. People: alice (operator and
/// approver, so only the self-approval rule can stop her), bob (approver), otto (operator), vic (viewer),
/// root (admin). Servers: web-1, web-2 (role:web), db-1 (role:db).
/// </summary>
internal sealed class AccessHarness : IAsyncDisposable
{
    public static readonly Requester Alice = new("alice", "slack:T1/UA", "Alice");
    public static readonly Requester Bob = new("bob", "slack:T1/UB", "Bob");
    public static readonly Requester Otto = new("otto", "slack:T1/UO", "Otto");
    public static readonly Requester Vic = new("vic", "slack:T1/UV", "Vic");
    public static readonly Requester Root = new("root", "slack:T1/UR", "Root");

    private readonly ServiceProvider _provider;
    private readonly string _databasePath;
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private int _threads;

    private AccessHarness(ServiceProvider provider, string databasePath)
    {
        _provider = provider;
        _databasePath = databasePath;
    }

    public string DatabasePath => _databasePath;
    public FakeTimeProvider Time => (FakeTimeProvider)_provider.GetRequiredService<TimeProvider>();
    public RecordingChatClient Chat => _provider.GetServices<IChatClient>().OfType<RecordingChatClient>().Single();
    public AgentGateway Gateway => _provider.GetRequiredService<AgentGateway>();
    public RouterSweeper Sweeper => _provider.GetRequiredService<RouterSweeper>();
    public ICommandStore Commands => _provider.GetRequiredService<ICommandStore>();
    public IAuditStore Audit => _provider.GetRequiredService<IAuditStore>();
    public IApprovalStore Approvals => _provider.GetRequiredService<IApprovalStore>();
    public ApprovalService ApprovalService => _provider.GetRequiredService<ApprovalService>();
    public PolicyAdmin Policy => _provider.GetRequiredService<PolicyAdmin>();
    public AccessPolicy AccessPolicy => _provider.GetRequiredService<AccessPolicy>();
    public ICommandLock Locks => _provider.GetRequiredService<ICommandLock>();
    public IUserStore Users => _provider.GetRequiredService<IUserStore>();
    public IEventBus Bus => _provider.GetRequiredService<IEventBus>();

    public static async Task<AccessHarness> StartAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"chatops-access-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)));
        services.AddSqliteStore(o => o.Path = path);
        services.AddSqliteAccessStores();
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.Configure<CommandThrottleOptions>(o => o.PerMinute = 100_000);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatClient, RecordingChatClient>());
        var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);

        var harness = new AccessHarness(provider, path);
        await harness.SeedAsync();
        return harness;
    }

    private async Task SeedAsync()
    {
        var now = Time.GetUtcNow();
        await Users.UpsertUserAsync(new User("alice", "Alice", [Roles.Operator, Roles.Approver], now));
        await Users.UpsertUserAsync(new User("bob", "Bob", [Roles.Approver], now));
        await Users.UpsertUserAsync(new User("otto", "Otto", [Roles.Operator], now));
        await Users.UpsertUserAsync(new User("vic", "Vic", [Roles.Viewer], now));
        await Users.UpsertUserAsync(new User("root", "Root", [Roles.Admin], now));
        var servers = _provider.GetRequiredService<IServerStore>();
        await servers.UpsertAsync(new Server("web-1", null, ["role:web"], now));
        await servers.UpsertAsync(new Server("web-2", null, ["role:web"], now));
        await servers.UpsertAsync(new Server("db-1", null, ["role:db"], now));

        var bus = _provider.GetRequiredService<IEventBus>();
        _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, CommandRouter.ConsumerGroup, _provider.GetRequiredService<CommandRouter>().HandleAsync));
        _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, CommandNotifier.ConsumerGroup, _provider.GetRequiredService<CommandNotifier>().HandleAsync));
        _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, ApprovalNotifier.ConsumerGroup, _provider.GetRequiredService<ApprovalNotifier>().HandleAsync));
        await Gateway.StartAsync(CancellationToken.None);
    }

    /// <summary>Makes <paramref name="command"/> high risk, as an admin would on the page.</summary>
    public async Task MakeHighRiskAsync(string command) =>
        Assert.True((await Policy.SetRiskAsync("root", command, "high")).Ok);

    /// <summary>Types <paramref name="text"/> in a chat thread of its own as <paramref name="who"/>; returns the immediate reply.</summary>
    public Task<IntakeReply> SayAsync(Requester who, string text) =>
        _provider.GetRequiredService<CommandIntake>().HandleAsync(new IntakeRequest(who, new ChatRef("test", "c1", $"thread-{Interlocked.Increment(ref _threads)}"), text));

    /// <summary>Types a command that must be accepted; returns its request id.</summary>
    public async Task<string> RequestAsync(Requester who, string text)
    {
        var reply = await SayAsync(who, text);
        Assert.True(reply.CommandId is not null, reply.Text);
        return reply.CommandId!;
    }

    public async Task<FakeAgentSession> ConnectAgentAsync(string serverId)
    {
        var session = new FakeAgentSession(serverId, "conn-" + serverId);
        Assert.True(await Gateway.OnHelloAsync(session, new HelloFrame(serverId, AgentProtocol.Version, "test", "host", ["restart", "uptime"]), CancellationToken.None));
        await session.NextAsync<WelcomeFrame>();
        return session;
    }

    /// <summary>Keeps a fake agent registered after the clock moved past its TTL.</summary>
    public Task HeartbeatAsync(FakeAgentSession agent) =>
        Gateway.OnFrameAsync(agent, new HeartbeatFrame(1, Time.GetUtcNow()), CancellationToken.None);

    public Task WaitForApprovalAsync(string id, ApprovalState state) =>
        RouterHarness.WaitUntilAsync(async () => (await Approvals.GetAsync(id))?.State == state, $"approval #{id} {state}");

    public Task WaitForStoredStateAsync(string commandId, CommandState state) =>
        RouterHarness.WaitUntilAsync(async () => (await Commands.GetAsync(commandId))?.State == state, $"#{commandId} stored as {state}");

    public async Task<IReadOnlyList<AuditEvent>> AuditAsync(string action, string? target = null) =>
        await Audit.QueryAsync(new AuditQuery(Action: action, Target: target, Limit: 1000));

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in _subscriptions) await subscription.DisposeAsync();
        await Gateway.StopAsync(CancellationToken.None);
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _databasePath, _databasePath + "-wal", _databasePath + "-shm" })
            File.Delete(file);
    }
}
