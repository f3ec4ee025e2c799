using System.Collections.Concurrent;
using System.Text.Json;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Conformance.Bus;

/// <summary>
/// What every <see cref="IEventBus"/> must do (the contract written on the interface). Subclass it
/// once per adapter and implement <see cref="CreateBusAsync"/>.
/// <para>
/// Expectations on the adapter: <c>SubscribeAsync</c> returns once the member takes part in its
/// group (so messages published afterwards reach the group); disposing a subscription cancels the
/// token its handler got and returns once the handler call in progress has ended (commit included).
/// Every test uses its own topics and groups (<see cref="NewTopic"/>, <see cref="NewGroup"/>) so a
/// cluster shared by tests never mixes their messages.
/// </para>
/// </summary>
public abstract class EventBusConformance : IAsyncLifetime
{
    /// <summary>The type of the envelopes a consumer parks on <c>{topic}.dlq</c>.</summary>
    protected const string DeadLetterType = "dead_letter";

    private readonly List<IAsyncDisposable> _subscriptions = [];

    protected IEventBus Bus { get; private set; } = null!;

    /// <summary>How long a test waits for something that should happen; generous for slow CI machines.</summary>
    protected virtual TimeSpan Patience => TimeSpan.FromSeconds(10);

    /// <summary>Retries quick enough for tests.</summary>
    protected virtual ConsumerOptions FastRetries(int maxAttempts) =>
        new() { MaxAttempts = maxAttempts, InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(20) };

    protected abstract Task<IEventBus> CreateBusAsync();

    protected virtual string NewTopic() => "t-" + Guid.NewGuid().ToString("N");

    protected virtual string NewGroup() => "g-" + Guid.NewGuid().ToString("N");

    public async Task InitializeAsync() => Bus = await CreateBusAsync();

    public async Task DisposeAsync()
    {
        foreach (var subscription in Enumerable.Reverse(_subscriptions))
        {
            await subscription.DisposeAsync();
        }

        switch (Bus)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    [Fact]
    public async Task A_published_message_reaches_its_subscriber_intact()
    {
        var topic = NewTopic();
        var received = new EnvelopeCollector();
        await SubscribeAsync(topic, NewGroup(), received.Handle);
        var sent = Probe("web-3", 1) with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

        await Bus.PublishAsync(topic, sent);

        await received.WaitForCountAsync(1, Patience);
        var got = Assert.Single(received.Received);
        Assert.Equal(sent.Id, got.Id);
        Assert.Equal(sent.Type, got.Type);
        Assert.Equal(sent.SchemaVersion, got.SchemaVersion);
        Assert.Equal(sent.OccurredAt, got.OccurredAt);
        Assert.Equal(sent.Key, got.Key);
        Assert.Equal(sent.TraceParent, got.TraceParent);
        Assert.True(JsonElement.DeepEquals(sent.Payload, got.Payload), $"payload changed: {got.Payload.GetRawText()}");
        Assert.Equal(new BusProbe("web-3", 1), got.Read<BusProbe>());
    }

    [Fact]
    public async Task Messages_of_one_key_arrive_in_publish_order_one_at_a_time()
    {
        const int keys = 20;
        const int perKey = 50;
        var topic = NewTopic();
        var received = new EnvelopeCollector();
        var busy = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var overlaps = 0;
        await SubscribeAsync(topic, NewGroup(), async (envelope, ct) =>
        {
            if (busy.AddOrUpdate(envelope.Key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            await Task.Yield();
            received.Add(envelope);
            busy.AddOrUpdate(envelope.Key, 0, (_, n) => n - 1);
        });

        for (var seq = 0; seq < perKey; seq++)
        {
            for (var k = 0; k < keys; k++)
            {
                await Bus.PublishAsync(topic, Probe($"server-{k}", seq));
            }
        }

        await received.WaitForCountAsync(keys * perKey, Patience);
        Assert.Equal(0, Volatile.Read(ref overlaps));
        foreach (var byKey in received.Received.GroupBy(e => e.Key))
        {
            Assert.Equal(Enumerable.Range(0, perKey), byKey.Select(e => e.Read<BusProbe>().Seq));
        }

        Assert.Equal(keys, received.Received.Select(e => e.Key).Distinct().Count());
    }

    [Fact]
    public async Task Members_of_a_group_share_the_messages_and_every_group_sees_all()
    {
        const int count = 200;
        var topic = NewTopic();
        var sharedGroup = NewGroup();
        var first = new EnvelopeCollector();
        var second = new EnvelopeCollector();
        var bothMembers = new EnvelopeCollector();
        var otherGroup = new EnvelopeCollector();
        await SubscribeAsync(topic, sharedGroup, (e, ct) => { first.Add(e); bothMembers.Add(e); return Task.CompletedTask; });
        await SubscribeAsync(topic, sharedGroup, (e, ct) => { second.Add(e); bothMembers.Add(e); return Task.CompletedTask; });
        await SubscribeAsync(topic, NewGroup(), otherGroup.Handle);

        var sent = Enumerable.Range(0, count).Select(i => Probe($"server-{i % 40}", i / 40)).ToList();
        foreach (var envelope in sent)
        {
            await Bus.PublishAsync(topic, envelope);
        }

        await bothMembers.WaitForDistinctAsync(count, Patience);
        await otherGroup.WaitForDistinctAsync(count, Patience);
        var sentIds = sent.Select(e => e.Id).ToHashSet();
        Assert.Equal(count, bothMembers.Received.Count); // no message handled twice within the group
        Assert.True(sentIds.SetEquals(bothMembers.Received.Select(e => e.Id)));
        Assert.NotEmpty(first.Received);
        Assert.NotEmpty(second.Received);
        Assert.Empty(first.Received.Select(e => e.Id).Intersect(second.Received.Select(e => e.Id)));
        Assert.Equal(count, otherGroup.Received.Count);
        Assert.True(sentIds.SetEquals(otherGroup.Received.Select(e => e.Id)));
    }

    [Fact]
    public async Task A_group_joining_later_starts_at_the_earliest_message()
    {
        var topic = NewTopic();
        var sent = Enumerable.Range(0, 10).Select(i => Probe("web-1", i)).ToList();
        foreach (var envelope in sent)
        {
            await Bus.PublishAsync(topic, envelope);
        }

        var received = new EnvelopeCollector();
        await SubscribeAsync(topic, NewGroup(), received.Handle);

        await received.WaitForCountAsync(sent.Count, Patience);
        Assert.Equal(sent.Select(e => e.Id), received.Received.Select(e => e.Id));
    }

    [Fact]
    public async Task A_message_in_hand_when_its_member_leaves_is_redelivered_to_the_next_member()
    {
        var topic = NewTopic();
        var group = NewGroup();
        var inHand = new TaskCompletionSource<Envelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        var toldToStop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leaving = await SubscribeAsync(topic, group, async (envelope, ct) =>
        {
            inHand.TrySetResult(envelope);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                toldToStop.TrySetResult();
                throw;
            }
        });
        var sent = Probe("web-2", 1);
        await Bus.PublishAsync(topic, sent);
        Assert.Equal(sent.Id, (await inHand.Task.WaitAsync(Patience)).Id);

        await LeaveAsync(leaving);
        await toldToStop.Task.WaitAsync(Patience);
        var received = new EnvelopeCollector();
        await SubscribeAsync(topic, group, received.Handle);

        await received.WaitForCountAsync(1, Patience);
        Assert.Equal(sent.Id, received.Received[0].Id);
    }

    [Fact]
    public async Task A_handler_that_fails_twice_is_retried_until_it_succeeds()
    {
        var topic = NewTopic();
        var flaky = Probe("web-4", 1);
        var next = Probe("web-4", 2);
        var attempts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var handled = new EnvelopeCollector();
        await SubscribeAsync(
            topic,
            NewGroup(),
            (envelope, ct) =>
            {
                var attempt = attempts.AddOrUpdate(envelope.Id, 1, (_, n) => n + 1);
                if (envelope.Id == flaky.Id && attempt <= 2)
                {
                    throw new InvalidOperationException($"transient failure {attempt}");
                }

                handled.Add(envelope);
                return Task.CompletedTask;
            },
            FastRetries(maxAttempts: 5));

        await Bus.PublishAsync(topic, flaky);
        await Bus.PublishAsync(topic, next);

        await handled.WaitForCountAsync(2, Patience);
        Assert.Equal(3, attempts[flaky.Id]);
        Assert.Equal(1, attempts[next.Id]);
        Assert.Equal([flaky.Id, next.Id], handled.Received.Select(e => e.Id));
    }

    [Fact]
    public async Task A_message_whose_handler_always_fails_is_parked_on_the_dead_letter_topic()
    {
        var topic = NewTopic();
        var group = NewGroup();
        var poison = Probe("web-5", 1);
        var next = Probe("web-5", 2);
        var parked = new EnvelopeCollector();
        await SubscribeAsync(Topics.DeadLetter(topic), NewGroup(), parked.Handle);
        var poisonAttempts = 0;
        var handled = new EnvelopeCollector();
        await SubscribeAsync(
            topic,
            group,
            (envelope, ct) =>
            {
                if (envelope.Id == poison.Id)
                {
                    Interlocked.Increment(ref poisonAttempts);
                    throw new InvalidOperationException("disk on fire");
                }

                handled.Add(envelope);
                return Task.CompletedTask;
            },
            FastRetries(maxAttempts: 3));

        await Bus.PublishAsync(topic, poison);
        await Bus.PublishAsync(topic, next);

        await parked.WaitForCountAsync(1, Patience);
        await handled.WaitForCountAsync(1, Patience); // the consumer moved on
        Assert.Equal(next.Id, handled.Received[0].Id);
        Assert.Equal(3, Volatile.Read(ref poisonAttempts));
        var parkedEnvelope = Assert.Single(parked.Received);
        Assert.Equal(DeadLetterType, parkedEnvelope.Type);
        Assert.Equal(poison.Key, parkedEnvelope.Key);
        var deadLetter = parkedEnvelope.Read<DeadLetter>();
        Assert.Equal(topic, deadLetter.Topic);
        Assert.Equal(group, deadLetter.Group);
        Assert.Equal(3, deadLetter.Attempts);
        Assert.Contains("disk on fire", deadLetter.Error, StringComparison.Ordinal);
        Assert.Equal(poison.Id, deadLetter.Original.Id);
        Assert.Equal(poison.Type, deadLetter.Original.Type);
        Assert.True(JsonElement.DeepEquals(poison.Payload, deadLetter.Original.Payload));
    }

    [Fact]
    public async Task A_group_resumed_by_a_new_member_does_not_see_committed_messages_again()
    {
        var topic = NewTopic();
        var group = NewGroup();
        var before = Enumerable.Range(0, 5).Select(i => Probe("web-6", i)).ToList();
        var after = Enumerable.Range(5, 5).Select(i => Probe("web-6", i)).ToList();
        var firstMember = new EnvelopeCollector();
        var leaving = await SubscribeAsync(topic, group, firstMember.Handle);
        foreach (var envelope in before)
        {
            await Bus.PublishAsync(topic, envelope);
        }

        await firstMember.WaitForCountAsync(before.Count, Patience);
        await LeaveAsync(leaving);
        foreach (var envelope in after)
        {
            await Bus.PublishAsync(topic, envelope);
        }

        var nextMember = new EnvelopeCollector();
        await SubscribeAsync(topic, group, nextMember.Handle);

        // One key, so a redelivered old message would arrive before the new ones.
        await nextMember.WaitForCountAsync(after.Count, Patience);
        Assert.Equal(after.Select(e => e.Id), nextMember.Received.Take(after.Count).Select(e => e.Id));
    }

    /// <summary>A test message; its payload is a <see cref="BusProbe"/>.</summary>
    protected static Envelope Probe(string key, int seq) =>
        Envelope.Create("test.probed", key, new BusProbe(key, seq), DateTimeOffset.UtcNow);

    /// <summary>Subscribes and disposes the subscription at the end of the test.</summary>
    protected async Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null)
    {
        var subscription = await Bus.SubscribeAsync(topic, group, handler, options);
        _subscriptions.Add(subscription);
        return subscription;
    }

    /// <summary>Disposes a subscription now (and not again at the end of the test).</summary>
    protected async Task LeaveAsync(IAsyncDisposable subscription)
    {
        _subscriptions.Remove(subscription);
        await subscription.DisposeAsync();
    }
}
