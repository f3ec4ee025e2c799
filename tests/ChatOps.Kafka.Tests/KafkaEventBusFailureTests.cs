using System.Diagnostics;
using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Kafka.Tests.Support;
using Xunit.Abstractions;

namespace ChatOps.Kafka.Tests;

/// <summary>
/// Broker failures on a three-broker mock cluster with replication factor 3. Counts are asserted: every
/// acknowledged message is consumed (at least once), in publish order per key; refused ones fail loudly.
/// </summary>
public sealed class KafkaEventBusFailureTests(MockClusterFixture fixture, ITestOutputHelper output) : IClassFixture<MockClusterFixture>, IDisposable
{
    private const short ProduceApiKey = 0;
    private const int NotEnoughReplicas = 19;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private MockKafkaCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_broker_down_during_production_loses_nothing_and_keeps_each_keys_order()
    {
        var topic = fixture.NewTopic();
        var group = "g-" + Guid.NewGuid().ToString("N");
        Cluster.SetGroupCoordinator(group, 1); // the group's coordinator survives; the broker that dies leads partitions
        await using var bus = fixture.CreateBus();
        var received = new EnvelopeCollector();
        await using var subscription = await bus.SubscribeAsync(topic, group, received.Handle);
        var publisher = new KeyedPublisher(bus, topic, keys: 24, perKey: 25);
        var third = publisher.Total / 3;
        var brokerDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failedOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var downAt = 0;

        var publishing = publisher.RunAsync(done =>
        {
            if (done == third)
            {
                Cluster.SetBrokerDown(2);
                downAt = done;
                brokerDown.SetResult();
            }
        });
        await brokerDown.Task.WaitAsync(Patience);
        fixture.FailOver(topic, deadBroker: 2, newLeader: 3);
        failedOver.SetResult();
        await publishing.WaitAsync(Patience);
        Cluster.SetBrokerUp(2);

        Assert.Empty(publisher.Refused);
        Assert.Equal(publisher.Total, publisher.AcknowledgedCount);
        await received.WaitForDistinctAsync(publisher.Total, Patience);
        publisher.AssertReceivedInOrder(received.Received);
        output.WriteLine($"broker 2 down after {downAt} of {publisher.Total} publishes; received {received.Received.Count} deliveries of {publisher.Total} messages");
    }

    [Fact]
    public async Task Two_brokers_down_refuse_a_publish_with_a_readable_error_and_nothing_acknowledged_is_lost()
    {
        var topic = fixture.NewTopic();
        var group = "g-" + Guid.NewGuid().ToString("N");
        Cluster.SetGroupCoordinator(group, 1);
        var deliveryTimeout = TimeSpan.FromSeconds(2);
        await using var bus = fixture.CreateBus(o => o.DeliveryTimeout = deliveryTimeout);
        var received = new EnvelopeCollector();
        await using var subscription = await bus.SubscribeAsync(topic, group, received.Handle);
        var before = Enumerable.Range(0, 10).Select(i => Probe("web-1", i)).ToList();
        foreach (var envelope in before)
        {
            await bus.PublishAsync(topic, envelope);
        }

        var refused = Probe("web-1", 10);
        BusUnavailableException error;
        var clock = Stopwatch.StartNew();
        try
        {
            Cluster.SetBrokerDown(2);
            Cluster.SetBrokerDown(3);
            fixture.FailOver(topic, deadBroker: 2, newLeader: 1);
            fixture.FailOver(topic, deadBroker: 3, newLeader: 1);
            // What broker 1 answers with one in-sync replica of three and min.insync.replicas=2 (the mock
            // does not track replicas, so the answer is injected).
            Cluster.PushRequestErrors(ProduceApiKey, NotEnoughReplicas, count: 10_000);
            clock.Restart();
            error = await Assert.ThrowsAsync<BusUnavailableException>(() => bus.PublishAsync(topic, refused));
            clock.Stop();
        }
        finally
        {
            Cluster.ClearRequestErrors(ProduceApiKey);
            fixture.AllBrokersUp();
        }

        output.WriteLine($"refused after {clock.Elapsed}: {error.Message}");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, deliveryTimeout + TimeSpan.FromSeconds(3));
        Assert.Contains("not accepted", error.Message, StringComparison.Ordinal);
        Assert.Contains("try again", error.Message, StringComparison.Ordinal);
        Assert.Contains(refused.Id, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error.Message, StringComparison.Ordinal);

        var after = Enumerable.Range(11, 10).Select(i => Probe("web-1", i)).ToList();
        foreach (var envelope in after)
        {
            await bus.PublishAsync(topic, envelope);
        }

        await received.WaitForDistinctAsync(before.Count + after.Count, Patience);
        var ids = received.Received.Select(e => e.Id).Distinct().ToList();
        Assert.Equal(before.Concat(after).Select(e => e.Id), ids); // one key: publish order, and the refused one never appears
    }

    [Fact]
    public async Task The_whole_cluster_unreachable_for_a_while_then_back_delivers_every_publish_waiting_for_it()
    {
        var topic = fixture.NewTopic();
        await using var bus = fixture.CreateBus(o => o.DeliveryTimeout = TimeSpan.FromSeconds(30));
        var received = new EnvelopeCollector();
        await using var subscription = await bus.SubscribeAsync(topic, "g-" + Guid.NewGuid().ToString("N"), received.Handle);
        await bus.PublishAsync(topic, Probe("warm-up", 0)); // metadata known before the outage
        var publisher = new KeyedPublisher(bus, topic, keys: 8, perKey: 10);

        Task publishing;
        try
        {
            for (var id = 1; id <= Cluster.Brokers; id++)
            {
                Cluster.SetBrokerDown(id);
            }

            publishing = publisher.RunAsync();
            Assert.False(await bus.IsConnectedAsync(TimeSpan.FromSeconds(1)));
            Assert.Equal(8, bus.PublishesWaiting); // every key's first publish is held, none refused
            Assert.Equal(0, publisher.AcknowledgedCount);
        }
        finally
        {
            fixture.AllBrokersUp();
        }

        await publishing.WaitAsync(Patience);
        Assert.Empty(publisher.Refused);
        Assert.Equal(publisher.Total, publisher.AcknowledgedCount);
        Assert.True(await bus.IsConnectedAsync(TimeSpan.FromSeconds(5)));
        await received.WaitForDistinctAsync(publisher.Total + 1, Patience);
        publisher.AssertReceivedInOrder(received.Received);
        output.WriteLine($"received {received.Received.Count} deliveries of {publisher.Total + 1} messages");
    }

    [Fact]
    public async Task A_full_local_buffer_refuses_a_publish_quickly_instead_of_queueing_without_bound()
    {
        var topic = fixture.NewTopic();
        await using var bus = fixture.CreateBus(o =>
        {
            o.QueueBufferingMaxMessages = 1;
            o.BufferFullWait = TimeSpan.FromMilliseconds(50);
        });
        await bus.PublishAsync(topic, Probe("web-1", 0));

        Task waiting;
        BusUnavailableException error;
        try
        {
            for (var id = 1; id <= Cluster.Brokers; id++)
            {
                Cluster.SetBrokerDown(id);
            }

            waiting = bus.PublishAsync(topic, Probe("web-1", 1));
            var clock = Stopwatch.StartNew();
            error = await Assert.ThrowsAsync<BusUnavailableException>(() => bus.PublishAsync(topic, Probe("web-1", 2)));
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        }
        finally
        {
            fixture.AllBrokersUp();
        }

        output.WriteLine(error.Message);
        Assert.Contains("buffer is full", error.Message, StringComparison.Ordinal);
        Assert.Contains("try again", error.Message, StringComparison.Ordinal);
        await waiting.WaitAsync(Patience); // the one that fit is delivered once the brokers are back
    }

    [Fact]
    public async Task Records_that_are_not_envelopes_are_parked_with_the_reason_and_the_consumer_moves_on()
    {
        var topic = fixture.NewTopic();
        using var meter = new ChatOps.Core.Observability.ChatOpsMeter();
        using var counted = new DeadLetterListener(meter);
        await using var bus = fixture.CreateBus(meter: meter);
        var parked = new EnvelopeCollector();
        await using var deadLetters = await bus.SubscribeAsync(Topics.DeadLetter(topic), "g-" + Guid.NewGuid().ToString("N"), parked.Handle);
        var handled = new EnvelopeCollector();
        var group = "g-" + Guid.NewGuid().ToString("N");
        await using var subscription = await bus.SubscribeAsync(topic, group, handled.Handle);
        using (var raw = new Confluent.Kafka.ProducerBuilder<string, byte[]>(new Confluent.Kafka.ProducerConfig { BootstrapServers = Cluster.BootstrapServers }).Build())
        {
            await raw.ProduceAsync(topic, new() { Key = "web-7", Value = "not json at all"u8.ToArray() });
            await raw.ProduceAsync(topic, new() { Key = "web-7", Value = """{"hello":"world"}"""u8.ToArray() });
            await raw.ProduceAsync(topic, new() { Key = "web-7", Value = [0xff, 0xfe, 0x00, 0x01] });
        }

        var good = Probe("web-7", 1);
        await bus.PublishAsync(topic, good);

        await handled.WaitForCountAsync(1, Patience);
        Assert.Equal(good.Id, Assert.Single(handled.Received).Id);
        await parked.WaitForCountAsync(3, Patience);
        var letters = parked.Received.Select(e => e.Read<DeadLetter>()).ToList();
        Assert.All(parked.Received, e => Assert.Equal("web-7", e.Key));
        Assert.All(letters, l => Assert.Equal(topic, l.Topic));
        Assert.All(letters, l => Assert.Equal(group, l.Group));
        Assert.All(letters, l => Assert.Equal(0, l.Attempts));
        Assert.All(letters, l => Assert.Equal("kafka.undecodable_record", l.Original.Type));
        Assert.All(letters, l => Assert.Contains("not an envelope", l.Error, StringComparison.Ordinal));
        Assert.Equal("not json at all", letters[0].Original.Payload.GetProperty("valueText").GetString());
        Assert.Contains("missing id, type, key, payload", letters[1].Error, StringComparison.Ordinal);
        Assert.Equal(Convert.ToBase64String([0xff, 0xfe, 0x00, 0x01]), letters[2].Original.Payload.GetProperty("valueBase64").GetString());
        // Counted where /metrics reads it, by the topic they came from.
        await counted.WaitForCountAsync(3, Patience);
        Assert.Equal([topic, topic, topic], counted.Topics);
    }

    [Fact]
    public async Task Subscribing_while_the_cluster_is_unreachable_fails_within_the_admin_timeout_with_a_readable_error()
    {
        await using var bus = fixture.CreateBus(o => o.AdminTimeout = TimeSpan.FromSeconds(1));
        BusUnavailableException error;
        var clock = Stopwatch.StartNew();
        try
        {
            for (var id = 1; id <= Cluster.Brokers; id++)
            {
                Cluster.SetBrokerDown(id);
            }

            error = await Assert.ThrowsAsync<BusUnavailableException>(() => bus.SubscribeAsync(fixture.NewTopic(), "g-" + Guid.NewGuid().ToString("N"), (_, _) => Task.CompletedTask));
        }
        finally
        {
            fixture.AllBrokersUp();
        }

        output.WriteLine($"after {clock.Elapsed}: {error.Message}");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
        Assert.Contains("Try again", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => fixture.AllBrokersUp();

    private static Envelope Probe(string key, int seq) =>
        Envelope.Create("test.probed", key, new BusProbe(key, seq), DateTimeOffset.UtcNow);
}
