using System.Collections.Concurrent;
using System.Threading.Channels;
using ChatOps.Core.Approvals;
using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
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
/// Both orders are modelled: the record delivered after the intake heard "refused", and the router
/// deciding on the request before the intake records the refusal, for one server, a fan-out and a
/// high-risk command (which waits for approval instead of running).
/// </summary>
public sealed class ReliabilityRefusedButDeliveredTests : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"chatops-refused-{Guid.NewGuid():N}.db");
    private ServiceProvider _provider = null!;
    private List<IHostedService> _hosted = [];
    private AppendThenRefuseBus _bus = null!;
    private HoldingCommandStore _store = null!;
    private IAsyncDisposable _router = null!;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _routed = new();

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSqliteStore(o => o.Path = _path);
        services.AddSqliteAccessStores();
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        // Every command record goes through a store that can hold the router's first write (see HoldingCommandStore).
        var sqliteCommands = services.Single(d => d.ServiceType == typeof(ICommandStore));
        services.Remove(sqliteCommands);
        services.AddSingleton(sp => new HoldingCommandStore((ICommandStore)sqliteCommands.ImplementationFactory!(sp)));
        services.AddSingleton<ICommandStore>(sp => sp.GetRequiredService<HoldingCommandStore>());
        services.AddSingleton<AppendThenRefuseBus>(sp => new AppendThenRefuseBus(sp.GetRequiredService<InMemoryEventBus>()));
        services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<AppendThenRefuseBus>());
        _provider = services.BuildServiceProvider();
        _bus = _provider.GetRequiredService<AppendThenRefuseBus>();
        _store = _provider.GetRequiredService<HoldingCommandStore>();
        _hosted = _provider.GetServices<IHostedService>().ToList();
        foreach (var service in _hosted) await service.StartAsync(CancellationToken.None);
        await _provider.GetRequiredService<IUserStore>().UpsertUserAsync(new User("admin", "alice", [Roles.Admin], DateTimeOffset.UtcNow));
        var servers = _provider.GetRequiredService<IServerStore>();
        await servers.UpsertAsync(new Server("web-1", null, ["role:web"], DateTimeOffset.UtcNow));
        await servers.UpsertAsync(new Server("web-2", null, ["role:web"], DateTimeOffset.UtcNow));
        var router = _provider.GetRequiredService<ChatOps.Core.Routing.CommandRouter>();
        _router = await _bus.SubscribeAsync(Topics.Commands, ChatOps.Core.Routing.CommandRouter.ConsumerGroup, async (envelope, ct) =>
        {
            await router.HandleAsync(envelope, ct);
            if (envelope.Type == EventTypes.CommandRequested) Routed(envelope.Read<CommandRequested>().RequestId).TrySetResult();
        });
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

    [Theory]
    [InlineData("run role:web uptime", false)]
    [InlineData("restart web-1 nginx", true)]
    [InlineData("restart role:web nginx", true)]
    [InlineData("run web-1 uptime", false)] // the record id decides, and the intake's is written first: the other branch
    public async Task A_request_the_router_decided_on_before_the_refusal_was_recorded_is_either_queued_and_run_once_per_server_or_refused_and_never_run(string text, bool highRisk)
    {
        if (highRisk) await MakeRestartHighRiskAsync();
        var commands = _provider.GetRequiredService<ICommandStore>();
        var approvals = _provider.GetRequiredService<IApprovalStore>();
        var intake = _provider.GetRequiredService<CommandIntake>();
        var servers = text.Contains("role:web", StringComparison.Ordinal) ? new[] { "web-1", "web-2" } : ["web-1"];
        var replies = Channel.CreateUnbounded<Envelope>();
        await using var listening = await _provider.GetRequiredService<InMemoryEventBus>().SubscribeAsync(Topics.Commands, "test-" + Guid.NewGuid().ToString("N"), async (envelope, ct) =>
        {
            if (envelope.Type is EventTypes.CommandFailed or ApprovalEventTypes.Requested) await replies.Writer.WriteAsync(envelope, ct);
        });
        // The router has read what it reads and is about to write its first command record when the
        // broker's refusal reaches the intake; the router carries on only once the user has been answered.
        _store.HoldRouterWrites();
        _bus.Mode = Refusal.WhileTheRouterDecides;
        _bus.RefuseWhen = _store.RouterWriting;

        var reply = await intake.HandleAsync(Request(text));
        _store.ReleaseRouterWrites();

        var requestId = Assert.Single(_bus.Appended);
        await Routed(requestId).Task.WaitAsync(TimeSpan.FromSeconds(20));
        var records = await commands.ListByRequestAsync(requestId);
        var heard = new List<Envelope>();
        bool Failed(Envelope e) => e.Type == EventTypes.CommandFailed && e.Read<CommandFailed>().CommandId.StartsWith(requestId, StringComparison.Ordinal);
        bool Asked(Envelope e) => e.Type == ApprovalEventTypes.Requested && e.Read<ApprovalRequested>().ApprovalId == requestId;
        if (reply.Retryable)
        {
            // "Not accepted, try again": nothing may have run or be waiting, or the retry runs it twice.
            Assert.StartsWith("Not accepted, try again", reply.Text, StringComparison.Ordinal);
            var marker = Assert.Single(records);
            Assert.True(CommandIntake.WasNotAccepted(marker), $"state {marker.State}, error {marker.Error}");
            Assert.Null(await approvals.GetAsync(requestId));
        }
        else
        {
            Assert.Equal(requestId, reply.CommandId);
            Assert.StartsWith($"Queued as #{requestId}", reply.Text, StringComparison.Ordinal);
            Assert.Equal(servers, records.Select(r => r.ServerId).Order(StringComparer.Ordinal)); // once on each server
            Assert.All(records, r => Assert.Equal(highRisk ? CommandState.AwaitingApproval : CommandState.Failed, r.State));
            if (highRisk) Assert.Equal(servers, (await approvals.GetAsync(requestId))!.Servers);

            // No agent is connected: each server's command fails as offline, one reply each; or one approval is asked for.
            while (heard.Count(highRisk ? Asked : Failed) < (highRisk ? 1 : servers.Length))
                heard.Add(await replies.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        }

        // The user heard one reply per server that ran, or one approval request, or nothing beyond "not accepted".
        while (replies.Reader.TryRead(out var more)) heard.Add(more);
        var failed = heard.Where(Failed).Select(e => e.Read<CommandFailed>().CommandId).ToList();
        Assert.Equal(failed.Distinct().Count(), failed.Count);
        Assert.Equal(reply.Retryable || highRisk ? 0 : servers.Length, failed.Count);
        Assert.Equal(!reply.Retryable && highRisk ? 1 : 0, heard.Count(Asked));
    }

    [Theory]
    [InlineData("restart web-1 nginx")]
    [InlineData("restart role:web nginx")]
    public async Task A_high_risk_request_refused_at_the_intake_and_delivered_afterwards_never_asks_for_approval(string text)
    {
        await MakeRestartHighRiskAsync();
        var commands = _provider.GetRequiredService<ICommandStore>();
        var intake = _provider.GetRequiredService<CommandIntake>();
        _bus.Mode = Refusal.DeliverAfterRefusing;

        var refused = await intake.HandleAsync(Request(text));

        Assert.True(refused.Retryable);
        var refusedId = Assert.Single(_bus.Appended);
        await _bus.DeliverHeldAsync();
        await Routed(refusedId).Task.WaitAsync(TimeSpan.FromSeconds(20));

        var left = Assert.Single(await commands.ListByRequestAsync(refusedId));
        Assert.True(CommandIntake.WasNotAccepted(left), $"state {left.State}, error {left.Error}");
        Assert.Null(await _provider.GetRequiredService<IApprovalStore>().GetAsync(refusedId));
    }

    [Fact]
    public async Task A_fan_out_whose_first_delivery_failed_after_the_router_claimed_it_runs_on_the_redelivery_once_on_each_server()
    {
        var commands = _provider.GetRequiredService<ICommandStore>();
        var intake = _provider.GetRequiredService<CommandIntake>();
        // The router claims the request, then its first write fails (a store blip); the bus redelivers.
        _store.FailNextRouterWrite();

        var reply = await intake.HandleAsync(Request("run role:web uptime"));

        Assert.False(reply.Retryable);
        var requestId = reply.CommandId!;
        await Routed(requestId).Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(_store.FailedWrites == 1, "the first write did not fail");
        var records = await commands.ListByRequestAsync(requestId);
        Assert.Equal(["web-1", "web-2"], records.Select(r => r.ServerId).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.Equal(CommandState.Failed, r.State)); // ran (no agent: failed as offline), once each
    }

    private async Task MakeRestartHighRiskAsync() =>
        Assert.True((await _provider.GetRequiredService<PolicyAdmin>().SetRiskAsync("admin", "restart", "high")).Ok);

    private TaskCompletionSource Routed(string requestId) =>
        _routed.GetOrAdd(requestId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

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

        /// <summary>The refusal reaches the intake once the router has decided, before it has written anything.</summary>
        WhileTheRouterDecides,
    }

    /// <summary>Keeps a command the broker "refused" and delivers it anyway, as Kafka can, in the order a test picks.</summary>
    private sealed class AppendThenRefuseBus(InMemoryEventBus inner) : IEventBus
    {
        private readonly List<Envelope> _held = [];

        public Refusal Mode { get; set; }

        public List<string> Appended { get; } = [];

        /// <summary>What <see cref="Refusal.WhileTheRouterDecides"/> waits for before refusing.</summary>
        public Task RefuseWhen { get; set; } = Task.CompletedTask;

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
            else if (Mode == Refusal.WhileTheRouterDecides)
            {
                await inner.PublishAsync(topic, envelope, cancellationToken);
                await RefuseWhen.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
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

    /// <summary>
    /// The SQLite command store, able to hold the router's first write of a command (queued or awaiting
    /// approval) until the test lets it go: the moment after the router decided and before it acted. It
    /// can also fail the router's next write once.
    /// </summary>
    private sealed class HoldingCommandStore(ICommandStore inner) : ICommandStore
    {
        private readonly TaskCompletionSource _writing = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _holding;
        private int _failNext;
        private int _failed;

        /// <summary>Completes when the router is about to write a command while writes are held.</summary>
        public Task RouterWriting => _writing.Task;

        public void HoldRouterWrites() => _holding = true;

        public void ReleaseRouterWrites() => _released.TrySetResult();

        public void FailNextRouterWrite() => Volatile.Write(ref _failNext, 1);

        public int FailedWrites => Volatile.Read(ref _failed);

        public async Task<bool> TryCreateAsync(CommandRecord command, CancellationToken cancellationToken = default)
        {
            var routerWrite = command.State is CommandState.Queued or CommandState.AwaitingApproval;
            if (routerWrite && Interlocked.Exchange(ref _failNext, 0) == 1)
            {
                Interlocked.Increment(ref _failed);
                throw new InvalidOperationException("database is locked (a blip the test injects)");
            }

            if (_holding && routerWrite)
            {
                _writing.TrySetResult();
                await _released.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
            }

            return await inner.TryCreateAsync(command, cancellationToken);
        }

        public Task<CommandRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public Task<bool> TryTransitionAsync(string id, IReadOnlyCollection<CommandState> from, CommandState to, CommandUpdate update, CancellationToken cancellationToken = default) =>
            inner.TryTransitionAsync(id, from, to, update, cancellationToken);

        public Task<IReadOnlyList<CommandRecord>> ListByStateAsync(IReadOnlyCollection<CommandState> states, string? serverId = null, int limit = 1000, CancellationToken cancellationToken = default) =>
            inner.ListByStateAsync(states, serverId, limit, cancellationToken);

        public Task<IReadOnlyList<CommandRecord>> ListRecentAsync(string? serverId = null, int limit = 20, CancellationToken cancellationToken = default) =>
            inner.ListRecentAsync(serverId, limit, cancellationToken);

        public Task<IReadOnlyList<CommandRecord>> ListByRequestAsync(string requestId, CancellationToken cancellationToken = default) =>
            inner.ListByRequestAsync(requestId, cancellationToken);

        public Task AppendOutputAsync(OutputChunk chunk, CancellationToken cancellationToken = default) => inner.AppendOutputAsync(chunk, cancellationToken);

        public Task<IReadOnlyList<OutputChunk>> GetOutputAsync(string commandId, CancellationToken cancellationToken = default) => inner.GetOutputAsync(commandId, cancellationToken);
    }
}
