using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

using static ChatOps.Embedded.Tests.Bus.BusTestSupport;

namespace ChatOps.Embedded.Tests.Bus;

/// <summary>Delivery details of the in-process bus beyond the shared contract.</summary>
public sealed class InMemoryEventBusDeliveryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_message_in_hand_of_a_leaving_member_goes_to_the_remaining_member()
    {
        await using var bus = NewBus(partitions: 2);
        var key = KeyOn(partition: 0, of: 2); // the first member to join keeps partition 0
        var inHand = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leaving = await bus.SubscribeAsync("orders", "router", async (e, ct) =>
        {
            inHand.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var remaining = new EnvelopeCollector();
        await using var stays = await bus.SubscribeAsync("orders", "router", remaining.Handle);
        var sent = Probe(key, 1);
        await bus.PublishAsync("orders", sent);
        await inHand.Task.WaitAsync(Wait);

        await leaving.DisposeAsync();

        await remaining.WaitForCountAsync(1, Wait);
        Assert.Equal(sent.Id, remaining.Received[0].Id);
    }

    [Fact]
    public async Task A_partition_moving_to_a_new_member_waits_for_the_message_in_hand()
    {
        await using var bus = NewBus(partitions: 2);
        var key = KeyOn(partition: 1, of: 2); // moves from the first member to the second when it joins
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inHand = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstDone = false;
        var firstMember = new EnvelopeCollector();
        await using var first = await bus.SubscribeAsync("orders", "router", async (e, ct) =>
        {
            firstMember.Add(e);
            inHand.TrySetResult();
            await gate.Task;
            Volatile.Write(ref firstDone, true);
        });
        await bus.PublishAsync("orders", Probe(key, 0));
        await inHand.Task.WaitAsync(Wait);

        var sawFirstDone = new List<bool>();
        var secondMember = new EnvelopeCollector();
        await using var second = await bus.SubscribeAsync("orders", "router", (e, ct) =>
        {
            lock (sawFirstDone)
            {
                sawFirstDone.Add(Volatile.Read(ref firstDone));
            }

            secondMember.Add(e);
            return Task.CompletedTask;
        });
        await bus.PublishAsync("orders", Probe(key, 1));

        // Give a wrong implementation the chance to hand out message 1 while message 0 is in hand.
        await Task.WhenAny(secondMember.WaitForCountAsync(1, Wait), Task.Delay(50));
        gate.SetResult();

        await secondMember.WaitForCountAsync(1, Wait);
        Assert.Equal([0], firstMember.Received.Select(e => e.Read<BusProbe>().Seq));
        Assert.Equal([1], secondMember.Received.Select(e => e.Read<BusProbe>().Seq));
        Assert.Equal([true], sawFirstDone);
    }

    [Fact]
    public async Task Retries_wait_a_doubling_backoff_on_the_injected_clock_then_park_the_message()
    {
        var clock = new TimerWatchingTimeProvider(new FakeTimeProvider());
        await using var bus = new InMemoryEventBus(Options.Create(new InMemoryBusOptions()), clock);
        var parked = new EnvelopeCollector();
        await using var dlq = await bus.SubscribeAsync(Topics.DeadLetter("orders"), "ops", parked.Handle);
        var attempts = new EnvelopeCollector();
        var retry = new ConsumerOptions { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMinutes(1), MaxBackoff = TimeSpan.FromMinutes(10) };
        await using var failing = await bus.SubscribeAsync(
            "orders",
            "router",
            (e, ct) =>
            {
                attempts.Add(e);
                throw new InvalidOperationException("nope");
            },
            retry);

        await bus.PublishAsync("orders", Probe("web-1", 1));

        await attempts.WaitForCountAsync(1, Wait);
        Assert.Equal(TimeSpan.FromMinutes(1), await clock.NextTimerAsync(Wait));
        Assert.Single(attempts.Received); // nothing happens until the clock moves
        clock.Fake.Advance(TimeSpan.FromMinutes(1));
        await attempts.WaitForCountAsync(2, Wait);
        Assert.Equal(TimeSpan.FromMinutes(2), await clock.NextTimerAsync(Wait));
        clock.Fake.Advance(TimeSpan.FromMinutes(2));
        await attempts.WaitForCountAsync(3, Wait);

        await parked.WaitForCountAsync(1, Wait);
        Assert.Equal(3, attempts.Received.Count);
        Assert.Equal(clock.GetUtcNow(), parked.Received[0].OccurredAt);
        Assert.Equal(DeadLetterEnvelopes.EventType, parked.Received[0].Type);
    }

    [Fact]
    public async Task A_parked_message_is_counted_in_the_hosts_meter_by_the_topic_it_came_from()
    {
        using var meter = new ChatOpsMeter();
        using var counted = new DeadLetterListener(meter);
        await using var bus = new InMemoryEventBus(Options.Create(new InMemoryBusOptions()), meter: meter);
        var parked = new EnvelopeCollector();
        await using var dlq = await bus.SubscribeAsync(Topics.DeadLetter("orders"), "ops", parked.Handle);
        await using var failing = await bus.SubscribeAsync("orders", "router", (_, _) => throw new InvalidOperationException("nope"), new ConsumerOptions { MaxAttempts = 1 });

        await bus.PublishAsync("orders", Probe("web-1", 1));

        await parked.WaitForCountAsync(1, Wait);
        await counted.WaitForCountAsync(1, Wait);
        Assert.Equal(["orders"], counted.Topics);
    }

    [Fact]
    public async Task Backoff_is_capped_at_the_maximum()
    {
        var options = new ConsumerOptions { MaxAttempts = 10, InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(5) };
        var clock = new TimerWatchingTimeProvider(new FakeTimeProvider());
        await using var bus = new InMemoryEventBus(Options.Create(new InMemoryBusOptions()), clock);
        await using var failing = await bus.SubscribeAsync("orders", "router", (e, ct) => throw new InvalidOperationException("nope"), options);
        await bus.PublishAsync("orders", Probe("web-1", 1));

        var pauses = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var pause = await clock.NextTimerAsync(Wait);
            pauses.Add(pause);
            clock.Fake.Advance(pause);
        }

        Assert.Equal([1, 2, 4, 5, 5], pauses.Select(p => p.TotalSeconds));
    }

    [Fact]
    public async Task Shutting_the_bus_down_cancels_handlers_and_refuses_new_work()
    {
        var bus = new InMemoryEventBus();
        var inHand = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var toldToStop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = await bus.SubscribeAsync("orders", "router", async (e, ct) =>
        {
            inHand.TrySetResult();
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
        await bus.PublishAsync("orders", Probe("web-1", 1));
        await inHand.Task.WaitAsync(Wait);

        await bus.DisposeAsync().AsTask().WaitAsync(Wait);

        Assert.True(toldToStop.Task.IsCompleted);
        var refused = await Assert.ThrowsAsync<BusUnavailableException>(() => bus.PublishAsync("orders", Probe("web-1", 2)));
        Assert.Contains("not accepted", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => bus.SubscribeAsync("orders", "router", (e, ct) => Task.CompletedTask));
        await subscription.DisposeAsync().AsTask().WaitAsync(Wait);
        await bus.DisposeAsync(); // twice is harmless
    }

    [Fact]
    public async Task Topics_are_independent_of_each_other()
    {
        await using var bus = NewBus(partitions: 8);
        var orders = new EnvelopeCollector();
        var audit = new EnvelopeCollector();
        await using var a = await bus.SubscribeAsync("orders", "g", orders.Handle);
        await using var b = await bus.SubscribeAsync("audit", "g", audit.Handle);

        await bus.PublishAsync("audit", Probe("x", 1));
        await bus.PublishAsync("orders", Probe("x", 2));

        await orders.WaitForCountAsync(1, Wait);
        await audit.WaitForCountAsync(1, Wait);
        Assert.Equal(2, Assert.Single(orders.Received).Read<BusProbe>().Seq);
        Assert.Equal(1, Assert.Single(audit.Received).Read<BusProbe>().Seq);
    }

    [Fact]
    public async Task A_member_may_leave_from_inside_its_handler()
    {
        await using var bus = NewBus(partitions: 1);
        var group = "router";
        IAsyncDisposable? self = null;
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        self = await bus.SubscribeAsync("orders", group, async (e, ct) =>
        {
            await self!.DisposeAsync();
            left.TrySetResult();
        });
        await bus.PublishAsync("orders", Probe("web-1", 0));
        await left.Task.WaitAsync(Wait);
        await self.DisposeAsync().AsTask().WaitAsync(Wait); // the handler has returned: this completes

        // The message was finished, so it was committed: the next member starts after it.
        var next = new EnvelopeCollector();
        await using var successor = await bus.SubscribeAsync("orders", group, next.Handle);
        await bus.PublishAsync("orders", Probe("web-1", 1));
        await next.WaitForCountAsync(1, Wait);
        Assert.Equal(1, next.Received[0].Read<BusProbe>().Seq);
    }

    [Fact]
    public async Task Consumer_lag_counts_from_the_first_unfinished_message_though_later_keys_finished()
    {
        await using var bus = NewBus(partitions: 1);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuckDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var others = new EnvelopeCollector();
        await using var subscription = await bus.SubscribeAsync("orders", "router", async (e, ct) =>
        {
            if (e.Key == "web-1")
            {
                await release.Task.WaitAsync(ct);
                stuckDone.TrySetResult();
                return;
            }

            others.Add(e);
        });
        await bus.PublishAsync("orders", Probe("web-1", 0));
        for (var k = 2; k < 6; k++)
        {
            await bus.PublishAsync("orders", Probe($"web-{k}", 0));
        }

        await others.WaitForCountAsync(4, Wait);
        Assert.Equal(5, Lag(bus));

        release.SetResult();
        await stuckDone.Task.WaitAsync(Wait);
        Assert.Equal(0, await LagSoonAsync(bus, lag => lag == 0));
    }

    [Fact]
    public async Task Members_coming_and_going_while_keys_of_a_partition_run_concurrently_lose_and_repeat_nothing()
    {
        const int keys = 16;
        const int perKey = 40;
        await using var bus = NewBus(partitions: 2);
        var completed = new EnvelopeCollector();
        EnvelopeHandler handler = async (e, ct) =>
        {
            await Task.Delay(Random.Shared.Next(0, 2), ct); // a leaving member abandons what it has in hand
            completed.Add(e);
        };
        var members = new List<IAsyncDisposable> { await bus.SubscribeAsync("orders", "router", handler) };
        for (var seq = 0; seq < perKey; seq++)
        {
            for (var k = 0; k < keys; k++)
            {
                await bus.PublishAsync("orders", Probe($"server-{k}", seq));
            }
        }

        const int total = keys * perKey;
        for (var round = 1; round <= 8; round++)
        {
            await completed.WaitForCountAsync(round * total / 10, Wait);
            if (round % 2 == 0)
            {
                await members[0].DisposeAsync();
                members.RemoveAt(0);
            }
            else
            {
                members.Add(await bus.SubscribeAsync("orders", "router", handler));
            }
        }

        await completed.WaitForCountAsync(total, Wait);
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }

        // In process, what finished is known: only the abandoned messages are handled again, never a finished one.
        Assert.Equal(total, completed.Received.Count);
        foreach (var byKey in completed.Received.GroupBy(e => e.Key))
        {
            Assert.Equal(Enumerable.Range(0, perKey), byKey.Select(e => e.Read<BusProbe>().Seq));
        }
    }

    private static long Lag(InMemoryEventBus bus) => bus.ReadConsumerLag().Sum(l => l.Lag);

    // The commit follows the handler's return by a moment: wait for the condition, not for a time.
    private static async Task<long> LagSoonAsync(InMemoryEventBus bus, Func<long, bool> expected)
    {
        var deadline = DateTime.UtcNow + Wait;
        var lag = Lag(bus);
        while (!expected(lag) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
            lag = Lag(bus);
        }

        return lag;
    }

    [Fact]
    public async Task Under_concurrent_publishers_and_members_coming_and_going_each_key_is_handled_once_in_order()
    {
        const int publishers = 4;
        const int keysPerPublisher = 5;
        const int perKey = 100;
        const int total = publishers * keysPerPublisher * perKey;
        await using var bus = NewBus(partitions: 8);
        var completed = new EnvelopeCollector();
        EnvelopeHandler handler = async (e, ct) =>
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested(); // a leaving member abandons its message
            completed.Add(e);
        };
        var members = new List<IAsyncDisposable> { await bus.SubscribeAsync("orders", "router", handler) };

        var publishing = Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            for (var seq = 0; seq < perKey; seq++)
            {
                for (var k = 0; k < keysPerPublisher; k++)
                {
                    await bus.PublishAsync("orders", Probe($"p{p}-k{k}", seq));
                }
            }
        })));
        for (var round = 1; round <= 12; round++)
        {
            await completed.WaitForCountAsync(round * total / 15, Wait);
            if (round % 3 == 0)
            {
                await members[0].DisposeAsync();
                members.RemoveAt(0);
            }
            else
            {
                members.Add(await bus.SubscribeAsync("orders", "router", handler));
            }
        }

        await publishing.WaitAsync(Wait);
        await completed.WaitForCountAsync(total, Wait);
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }

        Assert.Equal(total, completed.Received.Count);
        foreach (var byKey in completed.Received.GroupBy(e => e.Key))
        {
            Assert.Equal(Enumerable.Range(0, perKey), byKey.Select(e => e.Read<BusProbe>().Seq));
        }
    }
}
