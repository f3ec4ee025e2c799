using ChatOps.Core.Agents;
using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Notifications;
using ChatOps.Core.Ports;
using ChatOps.Core.Routing;
using ChatOps.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Core.Tests.Routing;

/// <summary>
/// The router, gateway and notifier wired as in the server, on the embedded adapters (in-process bus
/// and state, a temporary SQLite file) and a fake clock; agents are <see cref="FakeAgentSession"/>s.
/// </summary>
internal sealed class RouterHarness : IAsyncDisposable
{
    public static readonly Requester Admin = new("admin", "apikey:k-admin", "alice");
    public static readonly Requester Viewer = new("viewer", "apikey:k-viewer", "victor");

    private readonly ServiceProvider _provider;
    private readonly string _databasePath;
    private readonly List<IAsyncDisposable> _subscriptions = [];

    private RouterHarness(ServiceProvider provider, string databasePath)
    {
        _provider = provider;
        _databasePath = databasePath;
    }

    public FakeTimeProvider Time => (FakeTimeProvider)_provider.GetRequiredService<TimeProvider>();
    public RecordingChatClient Chat => _provider.GetServices<IChatClient>().OfType<RecordingChatClient>().Single();
    public AgentGateway Gateway => _provider.GetRequiredService<AgentGateway>();
    public RouterSweeper Sweeper => _provider.GetRequiredService<RouterSweeper>();
    public ICommandStore Commands => _provider.GetRequiredService<ICommandStore>();
    public IAuditStore Audit => _provider.GetRequiredService<IAuditStore>();
    public IAgentRegistry Registry => _provider.GetRequiredService<IAgentRegistry>();
    public ICommandLock Locks => _provider.GetRequiredService<ICommandLock>();
    public IPubSub PubSub => _provider.GetRequiredService<IPubSub>();
    public IEventBus Bus => _provider.GetRequiredService<IEventBus>();

    public static async Task<RouterHarness> StartAsync(Action<RouterOptions>? configure = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"chatops-router-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)));
        services.AddSqliteStore(o => o.Path = path);
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatClient, RecordingChatClient>());
        services.Configure<RouterOptions>(o => configure?.Invoke(o));
        var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);

        var harness = new RouterHarness(provider, path);
        await harness.SeedAsync();
        return harness;
    }

    private async Task SeedAsync()
    {
        var users = _provider.GetRequiredService<IUserStore>();
        await users.UpsertUserAsync(new User("admin", "alice", [Roles.Admin], Time.GetUtcNow()));
        await users.UpsertUserAsync(new User("viewer", "victor", [Roles.Viewer], Time.GetUtcNow()));
        var servers = _provider.GetRequiredService<IServerStore>();
        await servers.UpsertAsync(new Server("web-1", null, ["role:web"], Time.GetUtcNow()));
        await servers.UpsertAsync(new Server("web-2", null, ["role:web"], Time.GetUtcNow()));
        await servers.UpsertAsync(new Server("db-1", null, ["role:db"], Time.GetUtcNow()));

        var bus = Bus;
        var router = _provider.GetRequiredService<CommandRouter>();
        var notifier = _provider.GetRequiredService<CommandNotifier>();
        _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, CommandRouter.ConsumerGroup, router.HandleAsync));
        _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, CommandNotifier.ConsumerGroup, notifier.HandleAsync));
        await Gateway.StartAsync(CancellationToken.None);
    }

    /// <summary>Connects a fake agent for <paramref name="serverId"/> through the gateway's hello.</summary>
    public async Task<FakeAgentSession> ConnectAgentAsync(string serverId, string connectionId = "conn-1")
    {
        var session = new FakeAgentSession(serverId, connectionId);
        Assert.True(await Gateway.OnHelloAsync(session, new HelloFrame(serverId, AgentProtocol.Version, "test", "host", ["uptime", "sleep"]), CancellationToken.None));
        await session.NextAsync<WelcomeFrame>();
        return session;
    }

    /// <summary>Types <paramref name="text"/> in chat as <paramref name="who"/>; returns the command id (asserts one was queued).</summary>
    public async Task<string> RequestAsync(string text, Requester? who = null, string? requestId = null)
    {
        var intake = _provider.GetRequiredService<CommandIntake>();
        var reply = await intake.HandleAsync(new IntakeRequest(who ?? Admin, new ChatRef("test", "c1", "thread-1"), text, requestId));
        Assert.True(reply.CommandId is not null, reply.Text);
        return reply.CommandId!;
    }

    /// <summary>
    /// Waits for the router's own consumer to have written something (it publishes nothing after its
    /// last write, so there is no event to wait on): short polls, bounded, failing with a description.
    /// </summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("not reached within 10 s: " + what);
            await Task.Delay(10);
        }
    }

    public Task WaitForStoredStateAsync(string commandId, CommandState state) =>
        WaitUntilAsync(async () => (await Commands.GetAsync(commandId))?.State == state, $"#{commandId} stored as {state}");

    public Task WaitForLockFreeAsync(string serverId) =>
        WaitUntilAsync(async () => await Locks.GetHolderAsync(serverId) is null, $"lock on {serverId} released");

    /// <summary>Keeps a fake agent's registry entry alive after the clock moved past its TTL.</summary>
    public Task HeartbeatAsync(FakeAgentSession agent) =>
        Gateway.OnFrameAsync(agent, new HeartbeatFrame(1, Time.GetUtcNow()), CancellationToken.None);

    /// <summary>Types <c>cancel &lt;id&gt;</c> as the admin; returns the built-in's reply.</summary>
    public async Task<string> RequestCancelAsync(string commandId)
    {
        var intake = _provider.GetRequiredService<CommandIntake>();
        var reply = await intake.HandleAsync(new IntakeRequest(Admin, new ChatRef("test", "c1", "thread-2"), $"cancel {commandId}"));
        return reply.Text;
    }

    /// <summary>Plays the agent's side of a command: accepted, one line of output, a result.</summary>
    public async Task FinishAsync(FakeAgentSession agent, string commandId, string output = "ok\n", string status = ResultStatuses.Succeeded, int exitCode = 0)
    {
        await Gateway.OnFrameAsync(agent, new AcceptedFrame(commandId), CancellationToken.None);
        await Gateway.OnFrameAsync(agent, new OutputFrame(commandId, 1, "stdout", output), CancellationToken.None);
        await Gateway.OnFrameAsync(agent, new ResultFrame(commandId, status, exitCode, 120, false, output.Length), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in _subscriptions) await subscription.DisposeAsync();
        await Gateway.StopAsync(CancellationToken.None);
        await _provider.DisposeAsync();
        foreach (var file in new[] { _databasePath, _databasePath + "-wal", _databasePath + "-shm" })
            File.Delete(file);
    }
}
