using ChatOps.Core.Ports;

namespace ChatOps.Conformance.State;

/// <summary>
/// What every <see cref="IPubSub"/> must do. <see cref="CreateClientAsync"/> is called once per
/// simulated process: each call returns a client of the same backend (for Redis, one connection each;
/// in-process, the same instance), and every test subscribes each client at most once per channel,
/// so "subscribers reached" counts the same way everywhere.
/// </summary>
public abstract class PubSubConformance : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private readonly List<IPubSub> _clients = [];

    protected virtual TimeSpan Patience => TimeSpan.FromSeconds(10);

    protected abstract Task<IPubSub> CreateClientAsync();

    protected virtual string NewChannel() => "ch-" + Guid.NewGuid().ToString("N");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var subscription in Enumerable.Reverse(_subscriptions))
        {
            await subscription.DisposeAsync();
        }

        foreach (var client in _clients.Distinct())
        {
            await StateDisposal.DisposeAsync(client);
        }
    }

    [Fact]
    public async Task A_message_nobody_listens_to_reaches_nobody()
    {
        var client = await ClientAsync();

        Assert.Equal(0, await client.PublishAsync(NewChannel(), "hello"));
    }

    [Fact]
    public async Task Every_client_subscribed_to_the_channel_receives_the_message()
    {
        var channel = NewChannel();
        var first = new MessageCollector();
        var second = new MessageCollector();
        await SubscribeAsync(await ClientAsync(), channel, first.Handle);
        await SubscribeAsync(await ClientAsync(), channel, second.Handle);

        var reached = await (await ClientAsync()).PublishAsync(channel, "dispatch cmd-1");

        Assert.Equal(2, reached);
        Assert.Equal(["dispatch cmd-1"], await first.WaitForAsync(1, Patience));
        Assert.Equal(["dispatch cmd-1"], await second.WaitForAsync(1, Patience));
    }

    [Fact]
    public async Task Messages_of_other_channels_are_not_received()
    {
        var channel = NewChannel();
        var received = new MessageCollector();
        var client = await ClientAsync();
        await SubscribeAsync(client, channel, received.Handle);

        Assert.Equal(0, await client.PublishAsync(NewChannel(), "not for you"));
        Assert.Equal(1, await client.PublishAsync(channel, "for you"));

        Assert.Equal(["for you"], await received.WaitForAsync(1, Patience));
    }

    [Fact]
    public async Task A_client_that_unsubscribed_receives_nothing_more()
    {
        var channel = NewChannel();
        var leaving = new MessageCollector();
        var staying = new MessageCollector();
        var subscription = await SubscribeAsync(await ClientAsync(), channel, leaving.Handle);
        await SubscribeAsync(await ClientAsync(), channel, staying.Handle);
        var publisher = await ClientAsync();
        Assert.Equal(2, await publisher.PublishAsync(channel, "one"));
        await leaving.WaitForAsync(1, Patience);

        _subscriptions.Remove(subscription);
        await subscription.DisposeAsync();
        var reached = await publisher.PublishAsync(channel, "two");

        Assert.Equal(1, reached);
        Assert.Equal(["one", "two"], await staying.WaitForAsync(2, Patience));
        Assert.Equal(["one"], leaving.Received);
    }

    [Fact]
    public async Task A_throwing_handler_neither_stops_others_nor_itself()
    {
        var channel = NewChannel();
        var calls = new MessageCollector();
        var healthy = new MessageCollector();
        await SubscribeAsync(await ClientAsync(), channel, message =>
        {
            calls.Add(message);
            throw new InvalidOperationException("handler bug");
        });
        await SubscribeAsync(await ClientAsync(), channel, healthy.Handle);
        var publisher = await ClientAsync();

        await publisher.PublishAsync(channel, "one");
        await publisher.PublishAsync(channel, "two");

        Assert.Equal(["one", "two"], await healthy.WaitForAsync(2, Patience));
        Assert.Equal(["one", "two"], await calls.WaitForAsync(2, Patience));
    }

    [Fact]
    public async Task A_subscriber_sees_messages_in_publish_order()
    {
        var channel = NewChannel();
        var received = new MessageCollector();
        await SubscribeAsync(await ClientAsync(), channel, received.Handle);
        var publisher = await ClientAsync();
        var sent = Enumerable.Range(0, 100).Select(i => $"m{i}").ToList();

        foreach (var message in sent)
        {
            await publisher.PublishAsync(channel, message);
        }

        Assert.Equal(sent, await received.WaitForAsync(sent.Count, Patience));
    }

    [Fact]
    public async Task A_slow_handler_does_not_hold_up_the_publisher()
    {
        var channel = NewChannel();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new MessageCollector();
        await SubscribeAsync(await ClientAsync(), channel, async message =>
        {
            await gate.Task;
            received.Add(message);
        });
        var publisher = await ClientAsync();

        var publishing = Task.WhenAll(publisher.PublishAsync(channel, "a"), publisher.PublishAsync(channel, "b"), publisher.PublishAsync(channel, "c"));
        await publishing.WaitAsync(Patience);
        Assert.Empty(received.Received);
        gate.SetResult();

        Assert.Equal(["a", "b", "c"], await received.WaitForAsync(3, Patience));
    }

    [Fact]
    public async Task Bad_arguments_are_refused_clearly()
    {
        var client = await ClientAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.PublishAsync("", "x"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.PublishAsync(NewChannel(), null!));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.SubscribeAsync(" ", _ => Task.CompletedTask));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.SubscribeAsync(NewChannel(), null!));
    }

    /// <summary>A client that is disposed at the end of the test.</summary>
    protected async Task<IPubSub> ClientAsync()
    {
        var client = await CreateClientAsync();
        _clients.Add(client);
        return client;
    }

    private async Task<IAsyncDisposable> SubscribeAsync(IPubSub client, string channel, Func<string, Task> handler)
    {
        var subscription = await client.SubscribeAsync(channel, handler);
        _subscriptions.Add(subscription);
        return subscription;
    }
}
