using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatOps.Core.Tests;

/// <summary>
/// Reliability-security tests 12 and 19, the chat side: when the bus refuses a command (Kafka's
/// NOT_ENOUGH_REPLICAS with two brokers down, or a record over the size limit), the user is told
/// "not accepted, try again" with the reason, and nothing is silently dropped or half-queued.
/// </summary>
public sealed class ReliabilityBusRefusalTests
{
    [Theory]
    [InlineData("Broker: Not enough in-sync replicas (NOT_ENOUGH_REPLICAS); not accepted")]
    [InlineData("the envelope is 1,200,000 bytes, over the 1,000,000 bytes of ChatOps:Kafka:MessageMaxBytes; not accepted")]
    public async Task A_refusing_bus_gets_a_retryable_reply_with_the_reason_and_queues_nothing(string refusal)
    {
        var path = Path.Combine(Path.GetTempPath(), $"chatops-refusal-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSqliteStore(o => o.Path = path);
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.AddSingleton<IEventBus>(new RefusingBus(refusal));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted) await service.StartAsync(CancellationToken.None);
        await provider.GetRequiredService<IUserStore>().UpsertUserAsync(new User("admin", "alice", [Roles.Admin], DateTimeOffset.UtcNow));
        await provider.GetRequiredService<IServerStore>().UpsertAsync(new Server("web-1", null, [], DateTimeOffset.UtcNow));
        var intake = provider.GetRequiredService<CommandIntake>();

        var reply = await intake.HandleAsync(new IntakeRequest(new Requester("admin", "apikey:k-admin", "alice"), new ChatRef("test", "c1", "t-1"), "run web-1 uptime"));

        Assert.True(reply.Retryable);
        Assert.Null(reply.CommandId);
        Assert.StartsWith("Not accepted, try again", reply.Text, StringComparison.Ordinal);
        Assert.Contains(refusal, reply.Text, StringComparison.Ordinal);
        // Nothing queued: only the refusal's marker, which makes the router drop the request if it arrives after all.
        var left = Assert.Single(await provider.GetRequiredService<ICommandStore>().ListRecentAsync("web-1", 10));
        Assert.True(CommandIntake.WasNotAccepted(left));
        Assert.Contains(refusal, left.Error, StringComparison.Ordinal);

        foreach (var service in hosted) await service.StopAsync(CancellationToken.None);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
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
}
