using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using ChatOps.Embedded.Bus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatOps.Core.Tests;

/// <summary>
/// Reliability-security test 19, the part a broker can spring on us: Kafka's leader appends a record,
/// the replicas do not confirm it, the producer reports NOT_ENOUGH_REPLICAS, and the record is delivered
/// anyway. The user was told "not accepted, try again"; that must stay true, or their retry runs the
/// command twice. (The 100k-command test in Kafka.Tests saw 0–8 of 200 refusals land in the log.)
/// </summary>
public sealed class ReliabilityRefusedButDeliveredTests : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"chatops-refused-{Guid.NewGuid():N}.db");
    private ServiceProvider _provider = null!;
    private List<IHostedService> _hosted = [];
    private AppendThenRefuseBus _bus = null!;
    private IAsyncDisposable _router = null!;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSqliteStore(o => o.Path = _path);
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.AddSingleton<AppendThenRefuseBus>(sp => new AppendThenRefuseBus(sp.GetRequiredService<InMemoryEventBus>()));
        services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<AppendThenRefuseBus>());
        _provider = services.BuildServiceProvider();
        _bus = _provider.GetRequiredService<AppendThenRefuseBus>();
        _hosted = _provider.GetServices<IHostedService>().ToList();
        foreach (var service in _hosted) await service.StartAsync(CancellationToken.None);
        await _provider.GetRequiredService<IUserStore>().UpsertUserAsync(new User("admin", "alice", [Roles.Admin], DateTimeOffset.UtcNow));
        var servers = _provider.GetRequiredService<IServerStore>();
        await servers.UpsertAsync(new Server("web-1", null, ["role:web"], DateTimeOffset.UtcNow));
        await servers.UpsertAsync(new Server("web-2", null, ["role:web"], DateTimeOffset.UtcNow));
        _router = await _bus.SubscribeAsync(Topics.Commands, ChatOps.Core.Routing.CommandRouter.ConsumerGroup, _provider.GetRequiredService<ChatOps.Core.Routing.CommandRouter>().HandleAsync);
    }

    public async Task DisposeAsync()
    {
        await _router.DisposeAsync();
        foreach (var service in _hosted) await service.StopAsync(CancellationToken.None);
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(file);
    }

    [Theory]
    [InlineData("web-1")]
    [InlineData("role:web")]
    public async Task A_request_refused_at_the_intake_and_delivered_afterwards_never_runs(string target)
    {
        var commands = _provider.GetRequiredService<ICommandStore>();
        var intake = _provider.GetRequiredService<CommandIntake>();
        _bus.Mode = Refusal.DeliverAfterRefusing;

        var refused = await intake.HandleAsync(Request($"run {target} uptime"));

        Assert.True(refused.Retryable);
        Assert.StartsWith("Not accepted, try again", refused.Text, StringComparison.Ordinal);
        var refusedId = Assert.Single(_bus.Appended);
        // Kafka's consumers see the record once the replicas caught up, after the producer heard "refused".
        await _bus.DeliverHeldAsync();

        // The user's retry, accepted this time, on the same key: the router handles it after the refused
        // one, so once the retry has failed (no agent is connected) the refused one has been handled too.
        _bus.Mode = Refusal.None;
        var retry = await intake.HandleAsync(Request($"run {target} uptime"));
        Assert.NotNull(retry.CommandId);
        var expected = target == "web-1" ? 1 : 2;
        await WaitForFailuresAsync(retry.CommandId!, expected);

        var left = Assert.Single(await commands.ListByRequestAsync(refusedId));
        Assert.True(CommandIntake.WasNotAccepted(left), $"state {left.State}, error {left.Error}");
        Assert.Equal(expected, (await commands.ListByRequestAsync(retry.CommandId!)).Count);
    }

    [Fact]
    public async Task A_request_the_router_took_before_the_refusal_reached_the_intake_is_reported_queued_and_runs_once()
    {
        var commands = _provider.GetRequiredService<ICommandStore>();
        var intake = _provider.GetRequiredService<CommandIntake>();
        _bus.Mode = Refusal.DeliverBeforeRefusing;

        var reply = await intake.HandleAsync(Request("run web-1 uptime"));

        var requestId = Assert.Single(_bus.Appended);
        Assert.False(reply.Retryable);
        Assert.Equal(requestId, reply.CommandId);
        Assert.StartsWith($"Queued as #{requestId}", reply.Text, StringComparison.Ordinal);
        var ran = Assert.Single(await commands.ListByRequestAsync(requestId));
        Assert.False(CommandIntake.WasNotAccepted(ran));
        Assert.Equal(CommandState.Failed, ran.State); // it ran (no agent: failed as offline), once
    }

    private async Task WaitForFailuresAsync(string requestId, int expected)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failures = 0;
        await using var _ = await _provider.GetRequiredService<InMemoryEventBus>().SubscribeAsync(Topics.Commands, "test-" + Guid.NewGuid().ToString("N"), (envelope, _) =>
        {
            if (envelope.Type == EventTypes.CommandFailed && envelope.Read<CommandFailed>().CommandId.StartsWith(requestId, StringComparison.Ordinal)
                && Interlocked.Increment(ref failures) == expected)
                finished.TrySetResult();
            return Task.CompletedTask;
        });
        await finished.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static IntakeRequest Request(string text) =>
        new(new Requester("admin", "apikey:k-admin", "alice"), new ChatRef("test", "c1", "t-1"), text);

    private enum Refusal
    {
        None,

        /// <summary>The record reaches consumers only after the producer was told it was refused.</summary>
        DeliverAfterRefusing,

        /// <summary>The router has taken (and run) the command before the refusal reaches the intake.</summary>
        DeliverBeforeRefusing,
    }

    /// <summary>Keeps a command the broker "refused" and delivers it anyway, as Kafka can, in the order a test picks.</summary>
    private sealed class AppendThenRefuseBus(InMemoryEventBus inner) : IEventBus
    {
        private readonly List<Envelope> _held = [];

        public Refusal Mode { get; set; }

        public List<string> Appended { get; } = [];

        public async Task PublishAsync(string topic, Envelope envelope, CancellationToken cancellationToken = default)
        {
            if (Mode == Refusal.None || topic != Topics.Commands || envelope.Type != EventTypes.CommandRequested)
            {
                await inner.PublishAsync(topic, envelope, cancellationToken);
                return;
            }

            var requestId = envelope.Read<CommandRequested>().RequestId;
            Appended.Add(requestId);
            if (Mode == Refusal.DeliverAfterRefusing)
            {
                _held.Add(envelope);
            }
            else
            {
                var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await using (await inner.SubscribeAsync(Topics.Commands, "probe-" + Guid.NewGuid().ToString("N"), (e, _) =>
                {
                    if (e.Type == EventTypes.CommandFailed && e.Read<CommandFailed>().CommandId == requestId) handled.TrySetResult();
                    return Task.CompletedTask;
                }, cancellationToken: cancellationToken))
                {
                    await inner.PublishAsync(topic, envelope, cancellationToken);
                    await handled.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                }
            }

            throw new BusUnavailableException("Broker: Not enough in-sync replicas (NOT_ENOUGH_REPLICAS); not accepted");
        }

        public async Task DeliverHeldAsync()
        {
            foreach (var envelope in _held) await inner.PublishAsync(Topics.Commands, envelope);
            _held.Clear();
        }

        public Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default) =>
            inner.SubscribeAsync(topic, group, handler, options, cancellationToken);
    }
}
