using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using ChatOps.Embedded.Tests.Bus;
using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.Tests.State;

public sealed class InMemoryPubSubTests : PubSubConformance
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly CapturingLogger<InMemoryPubSub> _logger = new();
    private readonly InMemoryPubSub _backend;

    public InMemoryPubSubTests() => _backend = new InMemoryPubSub(_logger);

    // Every "client" of the in-process backend is the backend itself.
    protected override Task<IPubSub> CreateClientAsync() => Task.FromResult<IPubSub>(_backend);

    [Fact]
    public async Task A_throwing_handler_is_logged()
    {
        var pubSub = await ClientAsync();
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await pubSub.SubscribeAsync("alerts", _ =>
        {
            called.TrySetResult();
            throw new InvalidOperationException("handler bug");
        });
        var after = new MessageCollector();
        await using var second = await pubSub.SubscribeAsync("alerts", after.Handle);

        await pubSub.PublishAsync("alerts", "x");
        await called.Task.WaitAsync(Wait);
        await after.WaitForAsync(1, Wait);
        await subscription.DisposeAsync(); // waits for the failed call to be logged

        Assert.Contains(_logger.At(LogLevel.Error), m => m.Contains("alerts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_subscriber_whose_queue_is_full_is_left_out_of_the_count_and_it_is_logged()
    {
        var pubSub = await ClientAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await pubSub.SubscribeAsync("live", _ => gate.Task);

        var missed = 0;
        for (var i = 0; i < InMemoryPubSub.MaxPendingPerSubscriber + 2; i++)
        {
            if (await pubSub.PublishAsync("live", $"m{i}") == 0)
            {
                missed++;
            }
        }

        gate.SetResult();
        Assert.InRange(missed, 1, 2);
        Assert.Contains(_logger.At(LogLevel.Warning), m => m.Contains("live", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_handler_may_unsubscribe_itself()
    {
        var pubSub = await ClientAsync();
        var received = new MessageCollector();
        IAsyncDisposable? self = null;
        var unsubscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        self = await pubSub.SubscribeAsync("once", async message =>
        {
            received.Add(message);
            await self!.DisposeAsync();
            unsubscribed.TrySetResult();
        });

        await pubSub.PublishAsync("once", "first");
        await unsubscribed.Task.WaitAsync(Wait);

        Assert.Equal(0, await pubSub.PublishAsync("once", "second"));
        Assert.Equal(["first"], received.Received);
    }
}
