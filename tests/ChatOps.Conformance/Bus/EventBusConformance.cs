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

    /// <summary><paramref name="count"/> distinct keys that the adapter puts on one and the same partition of a topic.</summary>
    protected abstract IReadOnlyList<string> KeysOnOnePartition(int count);

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

    [Fact]
    public async Task A_handler_held_up_on_one_key_does_not_hold_up_another_key_of_the_same_partition()
    {
        var topic = NewTopic();
        var keys = KeysOnOnePartition(2);
        var (slowKey, otherKey) = (keys[0], keys[1]);
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseSlow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var others = new EnvelopeCollector();
        var slow = new EnvelopeCollector();
        await SubscribeAsync(topic, NewGroup(), async (envelope, ct) =>
        {
            if (envelope.Key != slowKey)
            {
                others.Add(envelope);
                return;
            }

            slowStarted.TrySetResult();
            await releaseSlow.Task.WaitAsync(ct);
            slow.Add(envelope);
        });

        await Bus.PublishAsync(topic, Probe(slowKey, 0));
        await Bus.PublishAsync(topic, Probe(slowKey, 1));
        for (var seq = 0; seq < 3; seq++)
        {
            await Bus.PublishAsync(topic, Probe(otherKey, seq));
        }

        await slowStarted.Task.WaitAsync(Patience);
        await others.WaitForCountAsync(3, Patience); // while the earlier message of the other key is still in hand
        Assert.Empty(slow.Received);
        Assert.Equal([0, 1, 2], others.Received.Select(e => e.Read<BusProbe>().Seq));

        releaseSlow.SetResult();
        await slow.WaitForCountAsync(2, Patience);
        Assert.Equal([0, 1], slow.Received.Select(e => e.Read<BusProbe>().Seq));
    }

    [Fact]
    public async Task Messages_of_one_key_keep_their_order_while_other_keys_of_their_partition_run_alongside()
    {
        const int perKey = 25;
        var topic = NewTopic();
        var keys = KeysOnOnePartition(8);
        var received = new EnvelopeCollector();
        var busy = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var overlaps = 0;
        var running = 0;
        var mostAtOnce = 0;
        var otherKeyHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SubscribeAsync(topic, NewGroup(), async (envelope, ct) =>
        {
            if (busy.AddOrUpdate(envelope.Key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            InterlockedMax(ref mostAtOnce, Interlocked.Increment(ref running));
            if (envelope.Key == keys[0] && envelope.Read<BusProbe>().Seq == 0)
            {
                // However fast the rest goes, the keys of this partition overlap at least once.
                await otherKeyHandled.Task.WaitAsync(ct);
            }

            await RandomPauseAsync(ct);
            received.Add(envelope);
            Interlocked.Decrement(ref running);
            busy.AddOrUpdate(envelope.Key, 0, (_, n) => n - 1);
            if (envelope.Key != keys[0])
            {
                otherKeyHandled.TrySetResult();
            }
        });

        for (var seq = 0; seq < perKey; seq++)
        {
            foreach (var key in keys)
            {
                await Bus.PublishAsync(topic, Probe(key, seq));
            }
        }

        await received.WaitForCountAsync(keys.Count * perKey, Patience);
        Assert.Equal(0, Volatile.Read(ref overlaps));
        foreach (var byKey in received.Received.GroupBy(e => e.Key))
        {
            Assert.Equal(Enumerable.Range(0, perKey), byKey.Select(e => e.Read<BusProbe>().Seq));
        }

        Assert.Equal(keys.Count, received.Received.Select(e => e.Key).Distinct().Count());
        Assert.True(Volatile.Read(ref mostAtOnce) > 1, "the keys of one partition never ran concurrently");
    }

    [Fact]
    public async Task A_later_message_of_a_key_waits_for_the_retries_and_parking_of_the_earlier_one()
    {
        var topic = NewTopic();
        var keys = KeysOnOnePartition(2);
        var poison = Probe(keys[0], 0);
        var after = Probe(keys[0], 1);
        var other = Probe(keys[1], 0);
        var parked = new EnvelopeCollector();
        await SubscribeAsync(Topics.DeadLetter(topic), NewGroup(), parked.Handle);
        var poisonAttempts = 0;
        var attemptsSeenByLater = -1;
        var handled = new EnvelopeCollector();
        await SubscribeAsync(
            topic,
            NewGroup(),
            (envelope, ct) =>
            {
                if (envelope.Id == poison.Id)
                {
                    Interlocked.Increment(ref poisonAttempts);
                    throw new InvalidOperationException("disk on fire");
                }

                if (envelope.Id == after.Id)
                {
                    attemptsSeenByLater = Volatile.Read(ref poisonAttempts);
                }

                handled.Add(envelope);
                return Task.CompletedTask;
            },
            FastRetries(maxAttempts: 3));

        await Bus.PublishAsync(topic, poison);
        await Bus.PublishAsync(topic, after);
        await Bus.PublishAsync(topic, other);

        await handled.WaitForCountAsync(2, Patience);
        await parked.WaitForCountAsync(1, Patience);
        Assert.Equal(3, Volatile.Read(ref attemptsSeenByLater));
        Assert.Equal(poison.Id, Assert.Single(parked.Received).Read<DeadLetter>().Original.Id);
        Assert.Equal(new[] { after.Id, other.Id }.Order(), handled.Received.Select(e => e.Id).Order());
    }

    [Fact]
    public async Task An_unfinished_message_keeps_the_commit_below_it_so_the_next_member_gets_it_again()
    {
        var topic = NewTopic();
        var group = NewGroup();
        var keys = KeysOnOnePartition(2);
        var (stuckKey, otherKey) = (keys[0], keys[1]);
        var done = Probe(stuckKey, 0);
        var stuck = Probe(stuckKey, 1);
        var overtaking = Enumerable.Range(0, 5).Select(i => Probe(otherKey, i)).ToList();
        var inHand = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstMember = new EnvelopeCollector();
        var leaving = await SubscribeAsync(topic, group, async (envelope, ct) =>
        {
            if (envelope.Id == stuck.Id)
            {
                inHand.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            firstMember.Add(envelope);
        });
        await Bus.PublishAsync(topic, done);
        await Bus.PublishAsync(topic, stuck);
        foreach (var envelope in overtaking)
        {
            await Bus.PublishAsync(topic, envelope);
        }

        await inHand.Task.WaitAsync(Patience);
        await firstMember.WaitForCountAsync(1 + overtaking.Count, Patience); // everything but the stuck one finished
        await LeaveAsync(leaving);
        var later = Probe(stuckKey, 2);
        await Bus.PublishAsync(topic, later);

        var nextMember = new EnvelopeCollector();
        await SubscribeAsync(topic, group, nextMember.Handle);

        // The stuck message comes again, before the later one of its key; what finished before it does not.
        await nextMember.WaitForIdAsync(later.Id, Patience);
        Assert.Equal([stuck.Id, later.Id], nextMember.Received.Where(e => e.Key == stuckKey).Select(e => e.Id).Distinct());
        Assert.DoesNotContain(nextMember.Received, e => e.Id == done.Id);
        Assert.True(overtaking.Select(e => e.Id).Append(done.Id).ToHashSet().SetEquals(firstMember.Received.Select(e => e.Id)));
    }

    [Fact]
    public async Task One_message_in_flight_per_partition_handles_a_partition_strictly_in_publish_order()
    {
        const int perKey = 10;
        var topic = NewTopic();
        var keys = KeysOnOnePartition(5);
        var received = new EnvelopeCollector();
        var running = 0;
        var mostAtOnce = 0;
        await SubscribeAsync(
            topic,
            NewGroup(),
            async (envelope, ct) =>
            {
                InterlockedMax(ref mostAtOnce, Interlocked.Increment(ref running));
                await RandomPauseAsync(ct);
                received.Add(envelope);
                Interlocked.Decrement(ref running);
            },
            new ConsumerOptions { MaxInFlightPerPartition = 1 });

        var sent = new List<Envelope>();
        for (var seq = 0; seq < perKey; seq++)
        {
            foreach (var key in keys)
            {
                var envelope = Probe(key, seq);
                sent.Add(envelope);
                await Bus.PublishAsync(topic, envelope);
            }
        }

        await received.WaitForCountAsync(sent.Count, Patience);
        Assert.Equal(sent.Select(e => e.Id), received.Received.Select(e => e.Id));
        Assert.Equal(1, Volatile.Read(ref mostAtOnce));
    }

    [Fact]
    public async Task No_more_than_MaxInFlightPerPartition_messages_of_a_partition_run_at_once()
    {
        const int bound = 3;
        const int perKey = 10;
        var topic = NewTopic();
        var keys = KeysOnOnePartition(12);
        var received = new EnvelopeCollector();
        var running = 0;
        var mostAtOnce = 0;
        var otherKeyHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SubscribeAsync(
            topic,
            NewGroup(),
            async (envelope, ct) =>
            {
                InterlockedMax(ref mostAtOnce, Interlocked.Increment(ref running));
                if (envelope.Key == keys[0] && envelope.Read<BusProbe>().Seq == 0)
                {
                    await otherKeyHandled.Task.WaitAsync(ct);
                }

                await RandomPauseAsync(ct);
                received.Add(envelope);
                Interlocked.Decrement(ref running);
                if (envelope.Key != keys[0])
                {
                    otherKeyHandled.TrySetResult();
                }
            },
            new ConsumerOptions { MaxInFlightPerPartition = bound });

        for (var seq = 0; seq < perKey; seq++)
        {
            foreach (var key in keys)
            {
                await Bus.PublishAsync(topic, Probe(key, seq));
            }
        }

        await received.WaitForCountAsync(keys.Count * perKey, Patience);
        Assert.InRange(Volatile.Read(ref mostAtOnce), 2, bound);
        foreach (var byKey in received.Received.GroupBy(e => e.Key))
        {
            Assert.Equal(Enumerable.Range(0, perKey), byKey.Select(e => e.Read<BusProbe>().Seq));
        }
    }

    [Fact]
    public async Task Subscribing_with_no_room_for_a_message_in_flight_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Bus.SubscribeAsync(NewTopic(), NewGroup(), (_, _) => Task.CompletedTask, new ConsumerOptions { MaxInFlightPerPartition = 0 }));
    }

    /// <summary>A test message; its payload is a <see cref="BusProbe"/>.</summary>
    protected static Envelope Probe(string key, int seq) =>
        Envelope.Create("test.probed", key, new BusProbe(key, seq), DateTimeOffset.UtcNow);

    /// <summary>A pause of random length (none, a few yields, or a millisecond or two), so handlers finish out of order.</summary>
    protected static async Task RandomPauseAsync(CancellationToken cancellationToken)
    {
        switch (Random.Shared.Next(4))
        {
            case 0:
                return;
            case 1:
            case 2:
                for (var i = Random.Shared.Next(1, 20); i > 0; i--)
                {
                    await Task.Yield();
                }

                return;
            default:
                await Task.Delay(Random.Shared.Next(1, 3), cancellationToken);
                return;
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var before = Interlocked.CompareExchange(ref target, value, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }

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
