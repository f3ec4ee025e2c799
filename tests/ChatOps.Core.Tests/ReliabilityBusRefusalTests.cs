using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Tests;

/// <summary>
/// Reliability-security tests 12 and 19, the chat side: when the bus refuses a command (Kafka's
/// NOT_ENOUGH_REPLICAS with two brokers down, or a record over the size limit), the user is told
/// "not accepted, try again" with the reason, and nothing is silently dropped or half-queued; also when
/// the store that should remember the refusal (the acceptance claim and the rejected record) fails too,
/// and then an error line says that a delivery after all could run.
/// </summary>
public sealed class ReliabilityBusRefusalTests
{
    private const string NotEnoughReplicas = "Broker: Not enough in-sync replicas (NOT_ENOUGH_REPLICAS); not accepted";

    [Theory]
    [InlineData(NotEnoughReplicas)]
    [InlineData("the envelope is 1,200,000 bytes, over the 1,000,000 bytes of ChatOps:Kafka:MessageMaxBytes; not accepted")]
    public async Task A_refusing_bus_gets_a_retryable_reply_with_the_reason_and_queues_nothing(string refusal)
    {
        await using var rig = await RefusalRig.StartAsync(refusal);

        var reply = await rig.SendAsync("run web-1 uptime");

        Assert.True(reply.Retryable);
        Assert.Null(reply.CommandId);
        Assert.StartsWith("Not accepted, try again", reply.Text, StringComparison.Ordinal);
        Assert.Contains(refusal, reply.Text, StringComparison.Ordinal);
        // Nothing queued: only the refusal's marker, which makes the router drop the request if it arrives after all.
        var left = Assert.Single(await rig.Provider.GetRequiredService<ICommandStore>().ListRecentAsync("web-1", 10));
        Assert.True(CommandIntake.WasNotAccepted(left));
        Assert.Contains(refusal, left.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run web-1 uptime")]
    [InlineData("run role:web uptime")]
    public async Task A_refusal_the_store_cannot_record_is_still_answered_not_accepted(string text)
    {
        var log = new CapturingLoggerProvider();
        await using var rig = await RefusalRig.StartAsync(NotEnoughReplicas, services =>
        {
            services.AddLogging(logging => logging.AddProvider(log));
            services.AddSingleton<INotificationLedger>(new UnavailableLedger());
        });

        var reply = await rig.SendAsync(text);

        Assert.True(reply.Retryable);
        Assert.Null(reply.CommandId);
        Assert.StartsWith("Not accepted, try again", reply.Text, StringComparison.Ordinal);
        Assert.Single(log.Lines, l => l.Level == LogLevel.Error && l.Text.Contains("could not be marked refused", StringComparison.Ordinal));
    }

    /// <summary>The intake on a SQLite store with a refusing bus; <c>before</c> registers ahead of the store, whose own registrations only fill in what is missing.</summary>
    private sealed class RefusalRig : IAsyncDisposable
    {
        private readonly string _path = Path.Combine(Path.GetTempPath(), $"chatops-refusal-{Guid.NewGuid():N}.db");
        private List<IHostedService> _hosted = [];

        public ServiceProvider Provider { get; private set; } = null!;

        public static async Task<RefusalRig> StartAsync(string refusal, Action<IServiceCollection>? before = null)
        {
            var rig = new RefusalRig();
            var services = new ServiceCollection();
            services.AddLogging();
            before?.Invoke(services);
            services.AddSqliteStore(o => o.Path = rig._path);
            services.AddInMemoryBus();
            services.AddInMemoryState();
            services.AddChatOpsCore();
            services.AddSingleton<IEventBus>(new RefusingBus(refusal));
            rig.Provider = services.BuildServiceProvider();
            rig._hosted = rig.Provider.GetServices<IHostedService>().ToList();
            foreach (var service in rig._hosted) await service.StartAsync(CancellationToken.None);
            await rig.Provider.GetRequiredService<IUserStore>().UpsertUserAsync(new User("admin", "alice", [Roles.Admin], DateTimeOffset.UtcNow));
            await rig.Provider.GetRequiredService<IServerStore>().UpsertAsync(new Server("web-1", null, ["role:web"], DateTimeOffset.UtcNow));
            return rig;
        }

        public Task<IntakeReply> SendAsync(string text) => Provider.GetRequiredService<CommandIntake>().HandleAsync(
            new IntakeRequest(new Requester("admin", "apikey:k-admin", "alice"), new ChatRef("test", "c1", "t-1"), text));

        public async ValueTask DisposeAsync()
        {
            foreach (var service in _hosted) await service.StopAsync(CancellationToken.None);
            await Provider.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(file);
        }
    }

    /// <summary>A bus whose broker refuses every publish, the way the Kafka adapter reports it.</summary>
    private sealed class RefusingBus(string reason) : IEventBus
    {
        public Task PublishAsync(string topic, Envelope envelope, CancellationToken cancellationToken = default) =>
            throw new BusUnavailableException(reason);

        // Consumers stay subscribed while producing is refused (two brokers down refuse writes, not reads).
        public Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult<IAsyncDisposable>(new Subscription());

        private sealed class Subscription : IAsyncDisposable
        {
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    /// <summary>The ledger of a store that is down: every call fails, as an adapter's would.</summary>
    private sealed class UnavailableLedger : INotificationLedger
    {
        private static readonly InvalidOperationException Down = new("the store is unreachable");

        public Task<ClaimOutcome> TryClaimAsync(NotificationKey key, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) => Task.FromException<ClaimOutcome>(Down);

        public Task CompleteAsync(NotificationKey key, string owner, DateTimeOffset at, CancellationToken cancellationToken = default) => Task.FromException(Down);

        public Task SaveThreadAsync(AlertThread thread, CancellationToken cancellationToken = default) => Task.FromException(Down);

        public Task<AlertThread?> GetThreadAsync(string alertId, string route, CancellationToken cancellationToken = default) => Task.FromException<AlertThread?>(Down);

        public Task<IReadOnlyList<AlertThread>> ListThreadsAsync(string alertId, CancellationToken cancellationToken = default) => Task.FromException<IReadOnlyList<AlertThread>>(Down);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();

        public IReadOnlyList<(LogLevel Level, string Text)> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue((logLevel, formatter(state, exception)));

        public void Dispose()
        {
        }
    }
}
