using System.Text;
using System.Text.Json;
using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Kafka.Tests.Support;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ChatOps.Kafka.Tests;

/// <summary>What the bus writes on the wire, how it treats topics, and what it refuses before asking Kafka.</summary>
public sealed class KafkaEventBusPublishTests(MockClusterFixture fixture, ITestOutputHelper output) : IClassFixture<MockClusterFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_record_is_keyed_by_the_envelope_key_and_carries_type_schema_version_id_and_trace_context_headers()
    {
        var topic = fixture.NewTopic();
        await using var bus = fixture.CreateBus();
        var sent = Envelope.Create("command.requested", "web-3", new BusProbe("web-3", 1), DateTimeOffset.UtcNow, schemaVersion: 2, traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        await bus.PublishAsync(topic, sent);

        var record = ReadFirstRecord(topic);
        Assert.Equal("web-3", Encoding.UTF8.GetString(record.Message.Key));
        Assert.Equal(sent.Id, ChatOpsJson.FromBytes(record.Message.Value).Id);
        Assert.Equal("command.requested", Header(record, KafkaHeaders.Type));
        Assert.Equal("2", Header(record, KafkaHeaders.SchemaVersion));
        Assert.Equal(sent.Id, Header(record, KafkaHeaders.MessageId));
        Assert.Equal(sent.TraceParent, Header(record, KafkaHeaders.TraceParent));
    }

    [Fact]
    public async Task Messages_of_one_key_land_on_one_partition()
    {
        var topic = fixture.NewTopic();
        await using var bus = fixture.CreateBus();
        for (var i = 0; i < 20; i++)
        {
            await bus.PublishAsync(topic, Envelope.Create("test.probed", "db-1", new BusProbe("db-1", i), DateTimeOffset.UtcNow));
        }

        var records = ReadRecords(topic, 20);
        Assert.Single(records.Select(r => r.Partition.Value).Distinct());
        Assert.Equal(Enumerable.Range(0, 20), records.OrderBy(r => r.Offset.Value).Select(r => ChatOpsJson.FromBytes(r.Message.Value).Read<BusProbe>().Seq));
    }

    [Fact]
    public async Task An_envelope_over_the_size_limit_is_refused_with_the_limit_and_its_key_named()
    {
        await using var bus = fixture.CreateBus(o => o.MessageMaxBytes = 10_000);
        var big = Envelope.Create("logs.reported", "web-1", new string('x', 20_000), DateTimeOffset.UtcNow);

        var error = await Assert.ThrowsAsync<BusUnavailableException>(() => bus.PublishAsync(fixture.NewTopic(), big));

        Assert.Contains("10,000 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChatOps:Kafka:MessageMaxBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("not accepted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_topic_names_and_incomplete_envelopes_are_refused_before_Kafka_is_asked()
    {
        await using var bus = fixture.CreateBus();
        var good = Envelope.Create("test.probed", "k", new BusProbe("k", 1), DateTimeOffset.UtcNow);

        await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync("bad topic!", good));
        await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync(fixture.NewTopic(), good with { Id = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync(fixture.NewTopic(), good with { Payload = default }));
        await Assert.ThrowsAsync<ArgumentException>(() => bus.SubscribeAsync("..", "g", (_, _) => Task.CompletedTask));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bus.SubscribeAsync(fixture.NewTopic(), "g", (_, _) => Task.CompletedTask, new ConsumerOptions { MaxAttempts = 0 }));
    }

    [Fact]
    public async Task A_bus_that_is_shut_down_refuses_publishes_as_not_accepted()
    {
        var bus = fixture.CreateBus();
        await bus.DisposeAsync();

        var error = await Assert.ThrowsAsync<BusUnavailableException>(() => bus.PublishAsync(fixture.NewTopic(), Envelope.Create("test.probed", "k", 1, DateTimeOffset.UtcNow)));
        Assert.Contains("shut down", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => bus.SubscribeAsync(fixture.NewTopic(), "g", (_, _) => Task.CompletedTask));
    }

    [Fact]
    public async Task A_missing_topic_is_created_at_start_and_a_partition_count_mismatch_is_reported_not_fatal()
    {
        var log = new CapturingLogger<KafkaEventBus>(output);
        await using var bus = fixture.CreateBus(logger: log);
        var existing = "t-" + Guid.NewGuid().ToString("N");
        fixture.Cluster.CreateTopic(existing, partitions: 3, replicationFactor: 3);
        var missing = "t-" + Guid.NewGuid().ToString("N");

        await bus.EnsureTopicsAsync([existing, missing]);

        Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains($"Kafka topic {existing} has 3 partitions but ChatOps:Kafka:Partitions is {MockClusterFixture.Partitions}", StringComparison.Ordinal));
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.Cluster.BootstrapServers }).Build();
        Assert.Contains(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == missing && t.Error.Code == ErrorCode.NoError);

        // The mismatched topic is used as it is.
        var received = new EnvelopeCollector();
        await using var subscription = await bus.SubscribeAsync(existing, "g-" + Guid.NewGuid().ToString("N"), received.Handle);
        await bus.PublishAsync(existing, Envelope.Create("test.probed", "k", new BusProbe("k", 1), DateTimeOffset.UtcNow));
        await received.WaitForCountAsync(1, Patience);
    }

    [Fact]
    public async Task The_hosted_service_makes_sure_the_five_ChatOps_topics_exist_at_start()
    {
        await using var bus = fixture.CreateBus();
        var service = new Internal.KafkaTopicsHostedService(bus, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Internal.KafkaTopicsHostedService>.Instance);

        await service.StartAsync(CancellationToken.None);
        await service.ExecuteTask!.WaitAsync(Patience);
        await service.StopAsync(CancellationToken.None);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.Cluster.BootstrapServers }).Build();
        var existing = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(t => t.Error.Code == ErrorCode.NoError).Select(t => t.Topic).ToHashSet();
        Assert.Subset(existing, Topics.All.ToHashSet());
    }

    [Fact]
    public async Task The_bus_reports_itself_connected_when_a_broker_answers()
    {
        await using var bus = fixture.CreateBus();

        Assert.True(await bus.IsConnectedAsync());
    }

    [Fact]
    public async Task A_slow_handler_pauses_fetching_its_partition_and_still_gets_every_message_in_order()
    {
        var topic = fixture.NewTopic();
        var log = new CapturingLogger<KafkaEventBus>(output);
        await using var bus = fixture.CreateBus(o => o.MaxBufferedPerPartition = 4, log);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.OnMessage = message =>
        {
            if (message.StartsWith("Paused fetching", StringComparison.Ordinal))
            {
                paused.TrySetResult();
            }
            else if (message.StartsWith("Resumed fetching", StringComparison.Ordinal))
            {
                resumed.TrySetResult();
            }
        };
        var received = new EnvelopeCollector();
        // Records taken into the in-flight window (running, or waiting for their key) have left the buffer
        // the bound counts. With the default window (64) all 40 records fit in it, and the buffer reached
        // the bound only when one fetch happened to route 4 records before the worker took them. A window
        // of 2 holds the first (in the handler) and the second (waiting for its key); the worker then holds
        // a third waiting for room, so every later record stays buffered and the bound is reached for sure.
        var window = new ConsumerOptions { MaxInFlightPerPartition = 2 };
        await using var subscription = await bus.SubscribeAsync(
            topic,
            "g-" + Guid.NewGuid().ToString("N"),
            async (envelope, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                received.Add(envelope);
            },
            window);
        var sent = Enumerable.Range(0, 40).Select(i => Envelope.Create("test.probed", "db-9", new BusProbe("db-9", i), DateTimeOffset.UtcNow)).ToList();
        foreach (var envelope in sent)
        {
            await bus.PublishAsync(topic, envelope);
        }

        await paused.Task.WaitAsync(Patience); // the handler holds the first; fetching stopped at the bound
        gate.SetResult();

        await received.WaitForCountAsync(sent.Count, Patience);
        Assert.Equal(sent.Select(e => e.Id), received.Received.Select(e => e.Id));
        // The poll loop resumes the partition on its next turn, which may come after the last handler ran.
        await resumed.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Refused_publishes_are_counted_by_reason_for_the_metrics()
    {
        var topic = fixture.NewTopic();
        var failures = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "ChatOps.Kafka" && instrument.Name == "chatops.bus.publish_failed")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var tagged = tags.ToArray();
            if (tagged.Any(t => t.Key == "topic" && Equals(t.Value, topic)))
            {
                lock (failures)
                {
                    failures.Add((string)tagged.Single(t => t.Key == "reason").Value!);
                }
            }
        });
        listener.Start();
        await using var bus = fixture.CreateBus(o => o.MessageMaxBytes = 1_000);

        await Assert.ThrowsAsync<BusUnavailableException>(() => bus.PublishAsync(topic, Envelope.Create("logs.reported", "k", new string('x', 2_000), DateTimeOffset.UtcNow)));

        Assert.Equal(["too_large"], failures);
    }

    private ConsumeResult<byte[], byte[]> ReadFirstRecord(string topic) => Assert.Single(ReadRecords(topic, 1));

    // Reads partitions directly (no group), so nothing waits for a group join.
    private List<ConsumeResult<byte[], byte[]>> ReadRecords(string topic, int count)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = fixture.Cluster.BootstrapServers,
            GroupId = "reader",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 5,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, MockClusterFixture.Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + Patience;
        while (records.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { Message: not null } record)
            {
                records.Add(record);
            }
        }

        Assert.Equal(count, records.Count);
        return records;
    }

    private static string Header(ConsumeResult<byte[], byte[]> record, string name) =>
        Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));
}
