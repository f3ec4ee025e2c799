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
/// Reliability-security test 19, the worst case at the intake: the bus refuses a command and the store
/// that should remember the refusal (the acceptance claim and the rejected record) fails too. The user
/// is still told "not accepted, try again", never "queued", and an error line says that a delivery
/// after all could run.
/// </summary>
public sealed class ReliabilityRefusalWithStoreDownTests
{
    [Theory]
    [InlineData("run web-1 uptime")]
    [InlineData("run role:web uptime")]
    public async Task A_refusal_the_store_cannot_record_is_still_answered_not_accepted(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"chatops-refusal-down-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        var log = new CapturingLoggerProvider();
        services.AddLogging(logging => logging.AddProvider(log));
        services.AddSingleton<INotificationLedger>(new UnavailableLedger());
        services.AddSqliteStore(o => o.Path = path);
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.AddSingleton<IEventBus>(new RefusingBus());
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted) await service.StartAsync(CancellationToken.None);
        await provider.GetRequiredService<IUserStore>().UpsertUserAsync(new User("admin", "alice", [Roles.Admin], DateTimeOffset.UtcNow));
        await provider.GetRequiredService<IServerStore>().UpsertAsync(new Server("web-1", null, ["role:web"], DateTimeOffset.UtcNow));

        var reply = await provider.GetRequiredService<CommandIntake>().HandleAsync(
            new IntakeRequest(new Requester("admin", "apikey:k-admin", "alice"), new ChatRef("test", "c1", "t-1"), text));

        Assert.True(reply.Retryable);
        Assert.Null(reply.CommandId);
        Assert.StartsWith("Not accepted, try again", reply.Text, StringComparison.Ordinal);
        Assert.Single(log.Lines, l => l.Level == LogLevel.Error && l.Text.Contains("could not be marked refused", StringComparison.Ordinal));

        foreach (var service in hosted) await service.StopAsync(CancellationToken.None);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
    }

    private sealed class RefusingBus : IEventBus
    {
        public Task PublishAsync(string topic, Envelope envelope, CancellationToken cancellationToken = default) =>
            throw new BusUnavailableException("Broker: Not enough in-sync replicas (NOT_ENOUGH_REPLICAS); not accepted");

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
