using ChatOps.Conformance.State;
using ChatOps.Redis.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ChatOps.Redis.Tests;

public sealed class RedisPubSubTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_throwing_handler_is_logged_with_its_channel_and_error()
    {
        var logger = new CapturingLogger<RedisPubSub>();
        var connection = redis.Connect();
        var pubSub = new RedisPubSub(connection, logger);
        await using var subscription = await pubSub.SubscribeAsync("updates", _ => throw new InvalidOperationException("handler bug"));

        Assert.Equal(1, await pubSub.PublishAsync("updates", "one"));

        await logger.WaitForAsync(e => e.Exception is InvalidOperationException { Message: "handler bug" }, Patience);
        var entry = Assert.Single(logger.Entries, e => e.Exception is not null);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("updates", entry.Message);
    }

    [Fact]
    public async Task A_handler_may_end_its_own_subscription()
    {
        var pubSub = new RedisPubSub(redis.Connect());
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IAsyncDisposable? subscription = null;
        subscription = await pubSub.SubscribeAsync("once", async _ =>
        {
            await subscription!.DisposeAsync();
            ended.SetResult();
        });

        Assert.Equal(1, await pubSub.PublishAsync("once", "stop"));
        await ended.Task.WaitAsync(Patience);

        Assert.Equal(0, await pubSub.PublishAsync("once", "nobody"));
    }

    [Fact]
    public async Task Disposing_the_pub_sub_ends_its_subscriptions_and_refuses_new_ones()
    {
        var prefix = RedisServerFixture.NewKeyPrefix();
        var pubSub = new RedisPubSub(redis.Connect(prefix));
        var publisher = new RedisPubSub(redis.Connect(prefix));
        var received = new MessageCollector();
        await pubSub.SubscribeAsync("a", received.Handle);
        await pubSub.SubscribeAsync("b", received.Handle);

        await pubSub.DisposeAsync();

        Assert.Equal(0, await publisher.PublishAsync("a", "x"));
        Assert.Equal(0, await publisher.PublishAsync("b", "x"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pubSub.SubscribeAsync("c", received.Handle));
        Assert.Empty(received.Received);
    }

    [Fact]
    public async Task Two_subscriptions_of_one_process_each_get_every_message_and_leave_independently()
    {
        var prefix = RedisServerFixture.NewKeyPrefix();
        var pubSub = new RedisPubSub(redis.Connect(prefix));
        var publisher = new RedisPubSub(redis.Connect(prefix));
        var first = new MessageCollector();
        var second = new MessageCollector();
        var firstSubscription = await pubSub.SubscribeAsync("updates", first.Handle);
        await using var secondSubscription = await pubSub.SubscribeAsync("updates", second.Handle);

        // One connection subscribed: PUBLISH counts it once, whatever the number of handlers behind it.
        Assert.Equal(1, await publisher.PublishAsync("updates", "one"));
        await first.WaitForAsync(1, Patience);
        await firstSubscription.DisposeAsync();
        Assert.Equal(1, await publisher.PublishAsync("updates", "two"));

        Assert.Equal(["one", "two"], await second.WaitForAsync(2, Patience));
        Assert.Equal(["one"], first.Received);
    }
}
