using System.Diagnostics;
using System.Text;
using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Kafka.Tests.Support;
using Confluent.Kafka;

namespace ChatOps.Kafka.Tests;

/// <summary>The trace crosses Kafka in the <c>traceparent</c> header, and each member reports how far behind it is.</summary>
public sealed class KafkaTracingAndLagTests(MockClusterFixture fixture) : IClassFixture<MockClusterFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ActivityListener _listener = Listen();

    [Fact]
    public async Task A_traced_publish_writes_the_traceparent_header_and_the_consumer_continues_the_trace()
    {
        var topic = fixture.NewTopic();
        await using var kafka = fixture.CreateBus();
        var bus = new TracingEventBus(kafka);
        var handled = new TaskCompletionSource<(ActivityTraceId Trace, ActivitySpanId Parent)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await bus.SubscribeAsync(topic, "traced", (_, _) =>
        {
            handled.TrySetResult((Activity.Current!.TraceId, Activity.Current.ParentSpanId));
            return Task.CompletedTask;
        });

        ActivityTraceId traceId;
        using (var request = ChatOpsTracing.Source.StartActivity("test request"))
        {
            traceId = request!.TraceId;
            await bus.PublishAsync(topic, Envelope.Create("test.probed", "web-1", new BusProbe("web-1", 1), DateTimeOffset.UtcNow));
        }

        var header = Encoding.UTF8.GetString(ReadFirstRecord(topic).Message.Headers.GetLastBytes(KafkaHeaders.TraceParent));
        var carried = ActivityContext.Parse(header, null);
        Assert.Equal(traceId, carried.TraceId);
        var (consumerTrace, consumerParent) = await handled.Task.WaitAsync(Patience);
        Assert.Equal(traceId, consumerTrace);
        Assert.Equal(carried.SpanId, consumerParent);
    }

    [Fact]
    public async Task A_record_from_another_tool_with_only_the_traceparent_header_is_handled_in_that_trace()
    {
        var topic = fixture.NewTopic();
        await using var kafka = fixture.CreateBus();
        var handled = new TaskCompletionSource<ActivityTraceId>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await new TracingEventBus(kafka).SubscribeAsync(topic, "header-only", (envelope, _) =>
        {
            handled.TrySetResult(Activity.Current!.TraceId);
            return Task.CompletedTask;
        });
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = fixture.Cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build())
        {
            var value = ChatOpsJson.ToBytes(Envelope.Create("test.probed", "web-1", new BusProbe("web-1", 1), DateTimeOffset.UtcNow));
            await producer.ProduceAsync(topic, new Message<string, byte[]>
            {
                Key = "web-1",
                Value = value,
                Headers = new Headers { { KafkaHeaders.TraceParent, Encoding.UTF8.GetBytes($"00-{traceId}-b7ad6b7169203331-01") } },
            });
        }

        Assert.Equal(traceId, (await handled.Task.WaitAsync(Patience)).ToHexString());
    }

    [Fact]
    public async Task Consumer_lag_is_the_messages_a_member_has_not_finished_and_drops_to_zero_once_handled()
    {
        var topic = fixture.NewTopic();
        await using var bus = fixture.CreateBus();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        await using var subscription = await bus.SubscribeAsync(topic, "lagging", async (_, ct) =>
        {
            await release.Task.WaitAsync(ct);
            if (Interlocked.Increment(ref handled) == 5) allHandled.TrySetResult();
        });
        for (var i = 0; i < 5; i++)
            await bus.PublishAsync(topic, Envelope.Create("test.probed", "web-1", new BusProbe("web-1", i), DateTimeOffset.UtcNow));

        Assert.Equal(5, await LagSoonAsync(bus, topic, "lagging", lag => lag == 5));

        release.TrySetResult();
        await allHandled.Task.WaitAsync(Patience);
        Assert.Equal(0, await LagSoonAsync(bus, topic, "lagging", lag => lag == 0));
    }

    [Fact]
    public async Task Consumer_lag_counts_from_the_first_unfinished_message_though_later_keys_of_its_partition_finished()
    {
        var topic = fixture.NewTopic();
        await using var bus = fixture.CreateBus();
        var keys = KafkaKeyPartitioner.KeysOn(partition: 0, MockClusterFixture.Partitions, count: 5);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuckDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var others = new EnvelopeCollector();
        await using var subscription = await bus.SubscribeAsync(topic, "lagging-behind-one", async (envelope, ct) =>
        {
            if (envelope.Key == keys[0])
            {
                await release.Task.WaitAsync(ct);
                stuckDone.TrySetResult();
                return;
            }

            others.Add(envelope);
        });
        foreach (var key in keys)
            await bus.PublishAsync(topic, Envelope.Create("test.probed", key, new BusProbe(key, 0), DateTimeOffset.UtcNow));

        await others.WaitForCountAsync(keys.Count - 1, Patience);
        Assert.Equal(keys.Count, await LagSoonAsync(bus, topic, "lagging-behind-one", lag => lag == keys.Count));

        release.TrySetResult();
        await stuckDone.Task.WaitAsync(Patience);
        Assert.Equal(0, await LagSoonAsync(bus, topic, "lagging-behind-one", lag => lag == 0));
    }

    public void Dispose() => _listener.Dispose();

    // The lag is worked out on the member's poll thread about once a second; wait for it to get there.
    private static async Task<long> LagSoonAsync(KafkaEventBus bus, string topic, string group, Func<long, bool> expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        long lag = -1;
        while (DateTime.UtcNow < deadline)
        {
            lag = bus.ReadConsumerLag().Where(l => l.Topic == topic && l.Group == group).Sum(l => l.Lag);
            if (expected(lag)) return lag;
            await Task.Delay(50);
        }

        return lag;
    }

    private ConsumeResult<byte[], byte[]> ReadFirstRecord(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = fixture.Cluster.BootstrapServers,
            GroupId = "reader",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 5,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, MockClusterFixture.Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { Message: not null } record) return record;
        }

        throw new TimeoutException($"no record on {topic}");
    }

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ChatOpsTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
