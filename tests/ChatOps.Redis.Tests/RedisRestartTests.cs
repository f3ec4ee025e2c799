using System.Diagnostics;
using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests;

/// <summary>
/// Redis goes away and comes back (killed and started again on the same port, its data lost, as with
/// <c>--save ''</c>) while the adapters keep their one connection. Tests in a class run one at a time,
/// and this class has its own server, so stopping it disturbs no other test.
/// </summary>
public sealed class RedisRestartTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public Task InitializeAsync() => Task.CompletedTask;

    // A failed test must not leave the server down for the next one.
    public async Task DisposeAsync()
    {
        if (!await AnswersAsync())
        {
            await redis.StopAsync();
            await redis.StartAsync();
        }
    }

    [Fact]
    public async Task While_Redis_is_down_every_operation_fails_fast_and_all_work_again_once_it_is_back()
    {
        var connection = redis.Connect(configure: o => o.OperationTimeout = OperationTimeout);
        var locks = new RedisCommandLock(connection);
        var registry = new RedisAgentRegistry(connection);
        var cache = new RedisMetricsCache(connection);
        var limiter = new RedisRateLimiter(connection);
        var pubSub = new RedisPubSub(connection);
        var server = TestData.NewId("srv");
        var before = (await locks.TryAcquireAsync(server, "router-a", "restart", TimeSpan.FromMinutes(5)))!;
        await registry.RegisterAsync(TestData.Agent(server, "gateway-1", "conn-1"), TimeSpan.FromMinutes(5));
        var multiplexer = connection.Multiplexer;
        Assert.NotNull(multiplexer);

        await redis.StopAsync();

        var whileDown = new (string Name, Func<Task> Call)[]
        {
            ("lock acquire", () => locks.TryAcquireAsync(TestData.NewId("srv"), "router-b", "deploy", TimeSpan.FromMinutes(1))),
            ("lock renew", () => locks.RenewAsync(before, TimeSpan.FromMinutes(1))),
            ("lock release", () => locks.ReleaseAsync(before)),
            ("lock holder", () => locks.GetHolderAsync(server)),
            ("registry register", () => registry.RegisterAsync(TestData.Agent(server, "gateway-2", "conn-2"), TimeSpan.FromMinutes(1))),
            ("registry get", () => registry.GetAsync(server)),
            ("registry list", () => registry.ListAsync()),
            ("metrics set", () => cache.SetLatestAsync(TestData.Snapshot(server, 10))),
            ("metrics get", () => cache.GetLatestAsync(server)),
            ("rate limit", () => limiter.TryAcquireAsync("alice", "commands", new RateLimitPolicy(5, TimeSpan.FromMinutes(1)))),
            ("publish", () => pubSub.PublishAsync("updates", "x")),
        };
        foreach (var (name, call) in whileDown)
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<StateUnavailableException>(call);

            Assert.StartsWith("the state store (Redis) is unreachable: ", error.Message);
            Assert.Contains(redis.Configuration, error.Message);
            Assert.True(clock.Elapsed < OperationTimeout + TimeSpan.FromSeconds(2), $"{name} took {clock.Elapsed} to fail");
        }

        Assert.False(await connection.PingAsync());

        await redis.StartAsync();
        await Eventually.WaitUntilAsync(() => connection.PingAsync(), Patience, "the connection to come back by itself");

        // The same multiplexer reconnected: nothing in ChatOps had to be restarted or recreated.
        Assert.Same(multiplexer, connection.Multiplexer);
        var after = await locks.TryAcquireAsync(server, "router-b", "deploy", TimeSpan.FromMinutes(1));
        Assert.NotNull(after);
        await registry.RegisterAsync(TestData.Agent(server, "gateway-2", "conn-2"), TimeSpan.FromMinutes(1));
        Assert.Equal("conn-2", (await registry.GetAsync(server))?.ConnectionId);
        await cache.SetLatestAsync(TestData.Snapshot(server, 10));
        Assert.NotNull(await cache.GetLatestAsync(server));
        Assert.True((await limiter.TryAcquireAsync("alice", "commands", new RateLimitPolicy(5, TimeSpan.FromMinutes(1)))).Allowed);
        Assert.Equal(0, await pubSub.PublishAsync("updates", "x"));

        // Redis lost the lock and its fence counter with its data, yet the new grant's token is greater
        // than the one granted before the restart: agents that remember the highest token keep working.
        Assert.True(after.FencingToken > before.FencingToken, $"token {after.FencingToken} after restart, {before.FencingToken} before");
    }

    [Fact]
    public async Task A_subscription_receives_again_after_Redis_restarted()
    {
        var prefix = RedisServerFixture.NewKeyPrefix();
        var subscriberConnection = redis.Connect(prefix, o => o.OperationTimeout = OperationTimeout);
        var publisherConnection = redis.Connect(prefix, o => o.OperationTimeout = OperationTimeout);
        var subscriber = new RedisPubSub(subscriberConnection);
        var publisher = new RedisPubSub(publisherConnection);
        var received = new MessageCollector();
        await using var subscription = await subscriber.SubscribeAsync("agent:dispatch:gateway-1", received.Handle);
        Assert.Equal(1, await publisher.PublishAsync("agent:dispatch:gateway-1", "before"));
        await received.WaitForAsync(1, Patience);

        await redis.StopAsync();
        await redis.StartAsync();

        // Published until the subscriber's client has subscribed again on its own (PUBLISH counts it).
        var attempt = 0;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                try
                {
                    return await publisher.PublishAsync("agent:dispatch:gateway-1", $"after-{++attempt}") == 1;
                }
                catch (StateUnavailableException)
                {
                    return false;
                }
            },
            Patience,
            "the subscription to be restored");

        var messages = await received.WaitForAsync(2, Patience);
        Assert.Equal("before", messages[0]);
        Assert.StartsWith("after-", messages[^1]);
    }

    [Fact]
    public async Task Subscribing_while_Redis_is_down_fails_clearly_and_leaves_no_subscription_behind()
    {
        var prefix = RedisServerFixture.NewKeyPrefix();
        var subscriberConnection = redis.Connect(prefix, o => o.OperationTimeout = OperationTimeout);
        var publisherConnection = redis.Connect(prefix, o => o.OperationTimeout = OperationTimeout);
        await subscriberConnection.ConnectAsync();
        var subscriber = new RedisPubSub(subscriberConnection);
        var publisher = new RedisPubSub(publisherConnection);
        var received = new MessageCollector();

        await redis.StopAsync();
        var error = await Assert.ThrowsAsync<StateUnavailableException>(() => subscriber.SubscribeAsync("updates", received.Handle));
        Assert.StartsWith("the state store (Redis) is unreachable: ", error.Message);
        await redis.StartAsync();
        await Eventually.WaitUntilAsync(() => subscriberConnection.PingAsync(), Patience, "the subscriber's connection to come back");
        await Eventually.WaitUntilAsync(() => publisherConnection.PingAsync(), Patience, "the publisher's connection to come back");

        // The failed subscription was not quietly made at reconnect: nobody counts as a receiver, and a
        // subscription made now works normally.
        Assert.Equal(0, await publisher.PublishAsync("updates", "lost"));
        await using var subscription = await subscriber.SubscribeAsync("updates", received.Handle);
        Assert.Equal(1, await publisher.PublishAsync("updates", "delivered"));
        Assert.Equal(["delivered"], await received.WaitForAsync(1, Patience));
    }

    private async Task<bool> AnswersAsync()
    {
        var probe = redis.Connect();
        try
        {
            return await probe.PingAsync();
        }
        finally
        {
            await probe.DisposeAsync();
        }
    }
}
