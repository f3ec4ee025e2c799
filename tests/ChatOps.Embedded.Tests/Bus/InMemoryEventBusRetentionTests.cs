using ChatOps.Conformance.Bus;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus;
using Microsoft.Extensions.Logging;
using static ChatOps.Embedded.Tests.Bus.BusTestSupport;

namespace ChatOps.Embedded.Tests.Bus;

/// <summary>Memory stays bounded, and a message lost to the bound is counted and logged, never silent.</summary>
public sealed class InMemoryEventBusRetentionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Messages_every_group_committed_are_trimmed()
    {
        await using var bus = NewBus(partitions: 1);
        var first = new EnvelopeCollector();
        var done = await bus.SubscribeAsync("orders", "router", first.Handle);
        for (var i = 0; i < 5; i++)
        {
            await bus.PublishAsync("orders", Probe("web-1", i));
        }

        await first.WaitForCountAsync(5, Wait);
        await done.DisposeAsync(); // returns once the last offset is committed

        var late = new EnvelopeCollector();
        await using var lateGroup = await bus.SubscribeAsync("orders", "late", late.Handle);
        await bus.PublishAsync("orders", Probe("web-1", 5));

        await late.WaitForCountAsync(1, Wait);
        Assert.Equal(5, late.Received[0].Read<BusProbe>().Seq);
    }

    [Fact]
    public async Task A_lagging_group_loses_the_oldest_messages_counted_and_logged()
    {
        var logger = new CapturingLogger<InMemoryEventBus>();
        await using var bus = NewBus(partitions: 1, maxRetained: 10, logger);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new EnvelopeCollector();
        // One message in hand: with the default window the worker may already hold later messages of the
        // key in memory while the first is stuck, and which of them retention still sees depends on timing.
        await using var slow = await bus.SubscribeAsync("metrics", "slow", async (e, ct) =>
        {
            received.Add(e);
            if (e.Read<BusProbe>().Seq == 0)
            {
                await gate.Task.WaitAsync(ct);
            }
        }, new ConsumerOptions { MaxInFlightPerPartition = 1 });
        await bus.PublishAsync("metrics", Probe("web-1", 0));
        await received.WaitForCountAsync(1, Wait);

        for (var i = 1; i < 30; i++)
        {
            await bus.PublishAsync("metrics", Probe("web-1", i));
        }

        Assert.Equal(20, bus.DroppedCount);
        Assert.Contains(logger.At(LogLevel.Warning), m => m.Contains("slow", StringComparison.Ordinal) && m.Contains("metrics", StringComparison.Ordinal));
        gate.SetResult();
        await received.WaitForCountAsync(11, Wait);
        Assert.Equal([0, .. Enumerable.Range(20, 10)], received.Received.Select(e => e.Read<BusProbe>().Seq));
    }

    [Fact]
    public async Task Without_any_group_the_bound_keeps_the_newest_and_warns_once()
    {
        var logger = new CapturingLogger<InMemoryEventBus>();
        await using var bus = NewBus(partitions: 1, maxRetained: 10, logger);
        for (var i = 0; i < 15; i++)
        {
            await bus.PublishAsync("logs", Probe("web-1", i));
        }

        var received = new EnvelopeCollector();
        await using var late = await bus.SubscribeAsync("logs", "reader", received.Handle);

        await received.WaitForCountAsync(10, Wait);
        Assert.Equal(Enumerable.Range(5, 10), received.Received.Select(e => e.Read<BusProbe>().Seq));
        Assert.Equal(0, bus.DroppedCount);
        Assert.Single(logger.At(LogLevel.Warning), m => m.Contains("no consumer group", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_group_with_no_members_left_still_holds_back_trimming()
    {
        await using var bus = NewBus(partitions: 1);
        var idle = await bus.SubscribeAsync("orders", "idle", (e, ct) => Task.CompletedTask);
        await idle.DisposeAsync();
        var active = new EnvelopeCollector();
        await using var activeGroup = await bus.SubscribeAsync("orders", "active", active.Handle);
        for (var i = 0; i < 3; i++)
        {
            await bus.PublishAsync("orders", Probe("web-1", i));
        }

        await active.WaitForCountAsync(3, Wait);
        var resumed = new EnvelopeCollector();
        await using var back = await bus.SubscribeAsync("orders", "idle", resumed.Handle);

        await resumed.WaitForCountAsync(3, Wait);
        Assert.Equal([0, 1, 2], resumed.Received.Select(e => e.Read<BusProbe>().Seq));
    }
}
