using System.Diagnostics;
using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Kafka.Tests.Support;
using Xunit.Abstractions;

namespace ChatOps.Kafka.Tests.Volume;

/// <summary>
/// Reliability test 19 at its volume: 100,000 command envelopes through <see cref="KafkaEventBus"/>
/// (idempotent producer, <c>acks=all</c>, as the product configures it) to a topic with replication factor
/// 3 on the three-broker mock cluster; one broker goes down part-way, later a second. Counted in the log
/// itself (not only in what a group received): no acknowledged command lost, each key's commands in
/// publish order; with two brokers down, publishes are refused loudly. Records written twice and refused
/// publishes that are in the log anyway are counted and reported (see the comments below for why not asserted).
/// </summary>
public sealed class KafkaBrokerFailureAtVolumeTests(MockClusterFixture fixture, ITestOutputHelper output) : IClassFixture<MockClusterFixture>, IDisposable
{
    private const short ProduceApiKey = 0;
    private const int NotEnoughReplicas = 19;
    private const int Keys = 200;
    private const int PerKey = 500;

    // The mock keeps at most 5 MiB (and 100,000 records) per partition and silently drops the oldest
    // beyond that; 24 partitions keep 100,000 small records (about 1.5 MiB a partition) far inside it.
    private const int Partitions = 24;

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private MockKafkaCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Of_100k_commands_with_one_then_two_brokers_down_none_acknowledged_is_lost_each_keys_order_holds_and_refusals_are_readable()
    {
        var topic = "commands-" + Guid.NewGuid().ToString("N");
        Cluster.CreateTopic(topic, Partitions, MockClusterFixture.ReplicationFactor);
        Cluster.CreateTopic(Topics.DeadLetter(topic), Partitions, MockClusterFixture.ReplicationFactor);
        var group = "g-" + Guid.NewGuid().ToString("N");
        Cluster.SetGroupCoordinator(group, 1); // broker 1 stays up throughout
        await using var bus = fixture.CreateBus(o => o.DeliveryTimeout = DeliveryTimeout);
        var received = new EnvelopeCollector();
        await using var subscription = await bus.SubscribeAsync(topic, group, received.Handle);

        var servers = Enumerable.Range(0, Keys).Select(k => $"server-{k}").ToList();
        var publisher = new CommandStreamPublisher(bus, topic, servers, PerKey);
        var firstDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        var publishing = publisher.RunAsync(done =>
        {
            if (done == publisher.Total * 35 / 100)
            {
                Cluster.SetBrokerDown(2);
                firstDown.SetResult();
            }
            else if (done == publisher.Total * 65 / 100)
            {
                Cluster.SetBrokerDown(3);
                // What the last broker answers with one in-sync replica of three and min.insync.replicas=2:
                // the mock does not track in-sync replicas, so its answer is injected for as long as the
                // second broker is down.
                Cluster.PushRequestErrors(ProduceApiKey, NotEnoughReplicas, count: 1_000_000);
                secondDown.SetResult();
            }
        });

        // The mock's broker-down control; a real cluster's controller then moves leadership off the dead
        // broker, which the mock does only when told.
        await firstDown.Task.WaitAsync(Patience);
        fixture.FailOver(topic, deadBroker: 2, newLeader: 3);
        var oneDownAt = clock.Elapsed;
        await secondDown.Task.WaitAsync(Patience);
        var twoDownAt = clock.Elapsed;
        try
        {
            fixture.FailOver(topic, deadBroker: 3, newLeader: 1);

            // Down long enough for every key's publish in flight to be refused at least once.
            await WaitUntilAsync(() => publisher.Refused.Count >= servers.Count, Patience, $"{servers.Count} refusals with two brokers down");
        }
        finally
        {
            Cluster.ClearRequestErrors(ProduceApiKey);
            fixture.AllBrokersUp();
        }

        var backAt = clock.Elapsed;
        await publishing.WaitAsync(Patience);
        var publishedIn = clock.Elapsed;

        var acknowledged = publisher.Acknowledged.Values.SelectMany(list => list).Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        TimeoutException? groupShort = null;
        try
        {
            await received.WaitForDistinctAsync(acknowledged.Count, Patience);
        }
        catch (TimeoutException ex)
        {
            groupShort = ex; // reported below with what exactly the group missed
        }

        var records = TopicLog.Read(Cluster.BootstrapServers, topic, Partitions, Patience);
        var logIds = records.GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var refused = publisher.Refused.ToList();
        var refusedInLog = refused.Count(r => logIds.ContainsKey(r.Envelope.Id));
        var deliveries = received.Received;
        var redelivered = deliveries.Count - deliveries.Select(e => e.Id).Distinct().Count();
        output.WriteLine(
            $"{publisher.Total:N0} publishes in {publishedIn.TotalSeconds:0.0} s (mock cluster, not a broker benchmark): broker 2 down at {oneDownAt.TotalSeconds:0.0} s, "
            + $"broker 3 at {twoDownAt.TotalSeconds:0.0} s, both back at {backAt.TotalSeconds:0.0} s; {acknowledged.Count:N0} acknowledged, {refused.Count:N0} refused "
            + $"({refusedInLog} of them in the log anyway); log holds {records.Count:N0} records; the group got {deliveries.Count:N0} deliveries ({redelivered} redeliveries)");
        foreach (var message in refused.Select(r => r.Error.Message.Replace(r.Envelope.Id, "{id}", StringComparison.Ordinal)).Distinct().Take(3))
        {
            output.WriteLine($"a refusal: {message}");
        }

        // Every publish was answered: acknowledged or refused, none left hanging or dropped without a word.
        Assert.Equal(publisher.Total, acknowledged.Count + refused.Count);

        // 0 acknowledged commands lost: all are in the log, and the group received them all.
        var missing = acknowledged.Where(id => !logIds.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged commands are not in the log, e.g. {missing.FirstOrDefault()}");
        var receivedIds = deliveries.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var neverReceived = records.Select((r, offset) => (r, offset)).Where(x => acknowledged.Contains(x.r.Id) && !receivedIds.Contains(x.r.Id)).ToList();
        Assert.True(neverReceived.Count == 0,
            $"{neverReceived.Count} acknowledged commands are in the log but never reached the group ({groupShort?.Message}), e.g. "
            + string.Join(", ", neverReceived.Take(5).Select(x => $"{x.r.Id} on partition {x.r.Partition} (key {x.r.Key}, record #{x.offset} of the log read)")));

        // Duplicate records from producer retries: counted in the log and reported, not asserted. On the mock
        // a few appear after a broker dies (0 to 6 of 100k seen here, same producer id and epoch, librdkafka logs
        // no sequence reset), which a real broker's sequence check should refuse; see the test below and
        // tests/RELIABILITY.md row 19. The group then receives such a record twice; consumers are idempotent
        // by envelope id (the IEventBus contract).
        var duplicated = logIds.Where(kv => kv.Value > 1).ToList();
        output.WriteLine($"{duplicated.Count} envelopes in the log more than once");
        foreach (var (id, times) in duplicated.Take(5))
        {
            var positions = records.Select((r, i) => (r, i)).Where(x => x.r.Id == id).Select(x => $"p{x.r.Partition}#{x.i}");
            output.WriteLine($"  {id} x{times}, acknowledged as publish {publisher.CompletedAt.GetValueOrDefault(id)}: {string.Join(" ", positions)}");
        }

        // Per-key order: in the log, each key's acknowledged commands appear in publish order, on one partition.
        var logByKey = records.GroupBy(r => r.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (key, sent) in publisher.Acknowledged)
        {
            var inLog = logByKey[key];
            Assert.Single(inLog.Select(r => r.Partition).Distinct());
            var sentIds = sent.Select(e => e.Id).ToList();
            var sentSet = sentIds.ToHashSet(StringComparer.Ordinal);
            // First appearances: a record the mock wrote twice (counted above) repeats an id, it does not reorder.
            Assert.Equal(sentIds, inLog.Select(r => r.Id).Where(sentSet.Contains).Distinct(StringComparer.Ordinal));
        }

        // With two brokers down, publishes were refused with a readable "not accepted, try again", none
        // dropped without a word. (A refused one can still be in the log: the broker that died had written
        // it, and the retries were answered NOT_ENOUGH_REPLICAS until the delivery timeout, so librdkafka
        // reports it not persisted. Counted above, not asserted; see tests/RELIABILITY.md row 19.)
        Assert.True(refused.Count >= servers.Count, $"only {refused.Count} publishes refused with two brokers down");
        Assert.All(refused, r =>
        {
            Assert.Contains(r.Envelope.Id, r.Error.Message, StringComparison.Ordinal);
            Assert.Contains("not accepted", r.Error.Message, StringComparison.Ordinal);
            Assert.Contains("try again", r.Error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Exception", r.Error.Message, StringComparison.Ordinal);
        });
    }

    /// <summary>
    /// The duplicate count above reads the log itself, so it sees records written twice: here a producer
    /// without idempotence retries batches that a dying broker had appended but not answered (the mock's
    /// round-trip delay holds the answers, then the broker goes down). With the product's producer
    /// configuration (idempotent) the same fault still leaves 30 to 45 duplicates on the mock, with one
    /// producer id and epoch throughout, which a real broker's sequence check would refuse; the mock's
    /// check (rdkafka_mock.c, rd_kafka_mock_validate_records) also moves its sequence window on a batch
    /// it recognised as a duplicate, a likely cause.
    /// </summary>
    [Fact]
    public async Task A_broker_dying_with_answers_unsent_makes_a_producer_without_idempotence_write_duplicates_which_the_log_count_sees()
    {
        var topic = "control-" + Guid.NewGuid().ToString("N");
        Cluster.CreateTopic(topic, Partitions, MockClusterFixture.ReplicationFactor);
        const int count = 20_000;
        using var producer = new Confluent.Kafka.ProducerBuilder<string, byte[]>(new Confluent.Kafka.ProducerConfig
        {
            BootstrapServers = Cluster.BootstrapServers,
            Acks = Confluent.Kafka.Acks.All,
            EnableIdempotence = false,
            MaxInFlight = 5,
            LingerMs = 0,
            MessageTimeoutMs = 30_000,
        }).SetLogHandler((_, _) => { }).Build();

        // Each key's records one after another, many keys at once, as the bus publishes.
        var completed = 0;
        var fault = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondFault = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = Task.WhenAll(Enumerable.Range(0, Keys).Select(k => Task.Run(async () =>
        {
            for (var seq = 0; seq < count / Keys; seq++)
            {
                var id = Guid.NewGuid().ToString("N");
                await producer.ProduceAsync(topic, new() { Key = $"server-{k}", Value = new byte[150], Headers = [new(KafkaHeaders.MessageId, System.Text.Encoding.UTF8.GetBytes(id))] });
                var done = Interlocked.Increment(ref completed);
                if (done == count * 3 / 10)
                {
                    fault.SetResult();
                }
                else if (done == count * 6 / 10)
                {
                    secondFault.SetResult();
                }
            }
        })));
        await fault.Task.WaitAsync(Patience);
        await BrokerDiesWithAnswersUnsentAsync(topic, broker: 2, newLeader: 3);
        await secondFault.Task.WaitAsync(Patience);
        await BrokerDiesWithAnswersUnsentAsync(topic, broker: 3, newLeader: 1);
        await sending.WaitAsync(Patience);
        fixture.AllBrokersUp();

        var log = TopicLog.Read(Cluster.BootstrapServers, topic, Partitions, Patience);
        var duplicates = log.Count - log.Select(r => r.Id).Distinct().Count();
        output.WriteLine($"without idempotence: {count:N0} acknowledged, {log.Count:N0} records in the log, {duplicates} duplicates");
        Assert.True(duplicates > 0, "the fault wrote no duplicate even without idempotence: it does not exercise producer retries");
    }

    /// <summary>
    /// Broker <paramref name="broker"/> keeps appending but holds its answers, then dies with them unsent;
    /// leadership moves to <paramref name="newLeader"/>, as a real controller would move it.
    /// </summary>
    private async Task BrokerDiesWithAnswersUnsentAsync(string topic, int broker, int newLeader)
    {
        MockClusterDelays.SetRoundTrip(Cluster, broker, TimeSpan.FromSeconds(2));
        // How long the broker appends without answering: the fault itself, not a wait for an event.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Cluster.SetBrokerDown(broker);
        MockClusterDelays.SetRoundTrip(Cluster, broker, TimeSpan.Zero);
        fixture.FailOver(topic, deadBroker: broker, newLeader: newLeader);
    }

    public void Dispose()
    {
        Cluster.ClearRequestErrors(ProduceApiKey);
        fixture.AllBrokersUp();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan patience, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > patience)
            {
                throw new TimeoutException($"Waited {patience} for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
