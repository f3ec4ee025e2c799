using System.Text;
using System.Text.Json;
using ChatOps.Conformance.Bus;
using ChatOps.Core.Events;
using ChatOps.Kafka.Replay;
using ChatOps.Kafka.Tests.Support;
using Confluent.Kafka;

namespace ChatOps.Kafka.Tests.Replay;

/// <summary><see cref="KafkaReplayer"/> against the three-broker mock cluster.</summary>
public sealed class KafkaReplayerTests(MockClusterFixture fixture) : IClassFixture<MockClusterFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-replay-").FullName;

    [Fact]
    public async Task Export_from_an_offset_writes_every_record_at_or_after_it_on_every_partition_as_json_lines()
    {
        var topic = fixture.NewTopic();
        using var writer = new TopicWriter(fixture);
        var written = await WriteKeysAsync(writer, topic, keys: 4, perKey: 5);
        var file = Path.Combine(_folder, "export.jsonl");

        var result = await Replayer().ExportToFileAsync(topic, ReplayStart.FromOffset(2), file).WaitAsync(Patience);

        var expected = written.Where(w => w.Position.Offset.Value >= 2).ToList();
        var lines = ReadLines(file);
        Assert.Equal(expected.Count, result.Records);
        Assert.Equal(0, result.NotEnvelopes);
        Assert.Equal(expected.Select(w => w.Position.Partition.Value).Distinct().Count(), result.Partitions);
        Assert.Equal(file, result.Destination);
        Assert.Equal(
            expected.Select(w => (w.Position.Partition.Value, w.Position.Offset.Value, w.Envelope.Key, w.Envelope.Id)).Order(),
            lines.Select(l => (l.GetProperty("partition").GetInt32(), l.GetProperty("offset").GetInt64(), l.GetProperty("key").GetString()!, l.GetProperty("envelope").GetProperty("id").GetString()!)).Order());
        Assert.All(lines, l => Assert.Equal(topic, l.GetProperty("topic").GetString()));
        Assert.False(File.Exists(file + ".partial"));
    }

    [Fact]
    public async Task Export_from_partition_offset_pairs_reads_only_those_partitions()
    {
        var topic = fixture.NewTopic();
        using var writer = new TopicWriter(fixture);
        var written = await WriteKeysAsync(writer, topic, keys: 4, perKey: 5);
        var partition = written.GroupBy(w => w.Position.Partition.Value).First(g => g.Count() >= 3).Key;
        var output = new MemoryStream();

        var result = await Replayer().ExportAsync(topic, ReplayStart.FromOffsets(new Dictionary<int, long> { [partition] = 1 }), output, "memory").WaitAsync(Patience);

        var expected = written.Where(w => w.Position.Partition.Value == partition && w.Position.Offset.Value >= 1).Select(w => w.Envelope.Id).ToList();
        Assert.Equal(1, result.Partitions);
        Assert.Equal(expected.Count, result.Records);
        Assert.Equal(expected, Lines(output).Select(l => l.GetProperty("envelope").GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Export_from_a_time_skips_older_records_and_keeps_timestamps()
    {
        // The mock brokers answer every time lookup with "none", so this runs the scan fallback.
        var topic = fixture.NewTopic();
        using var writer = new TopicWriter(fixture);
        var now = DateTimeOffset.UtcNow;
        var old = new List<Envelope>();
        var recent = new List<Envelope>();
        for (var seq = 0; seq < 6; seq++)
        {
            old.Add((await writer.WriteAsync(topic, $"server-{seq % 3}", seq, now.AddHours(-3).AddSeconds(seq))).Envelope);
        }

        for (var seq = 0; seq < 6; seq++)
        {
            recent.Add((await writer.WriteAsync(topic, $"server-{seq % 3}", 100 + seq, now.AddMinutes(-10).AddSeconds(seq))).Envelope);
        }

        var file = Path.Combine(_folder, "since.jsonl");
        var result = await Replayer().ExportToFileAsync(topic, ReplayStart.At(now.AddHours(-1)), file).WaitAsync(Patience);

        var lines = ReadLines(file);
        Assert.Equal(recent.Count, result.Records);
        Assert.Equal(recent.Select(e => e.Id).Order(), lines.Select(l => l.GetProperty("envelope").GetProperty("id").GetString()!).Order());
        Assert.All(lines, l => Assert.True(l.GetProperty("timestamp").GetDateTimeOffset() >= now.AddMinutes(-11)));
    }

    [Fact]
    public async Task Redrive_copies_keys_values_and_headers_to_the_target_keeping_each_keys_order()
    {
        var source = fixture.NewTopic();
        var target = fixture.NewTopic();
        using var writer = new TopicWriter(fixture);
        var written = await WriteKeysAsync(writer, source, keys: 3, perKey: 8);

        var result = await Replayer().RedriveAsync(source, ReplayStart.FromOffset(0), target).WaitAsync(Patience);

        Assert.Equal(written.Count, result.Records);
        Assert.Equal(target, result.Destination);
        var copied = ReadAll(target, written.Count);
        foreach (var group in written.GroupBy(w => w.Envelope.Key))
        {
            var got = copied.Where(r => Encoding.UTF8.GetString(r.Message.Key) == group.Key).OrderBy(r => r.Offset.Value).ToList();
            Assert.Single(got.Select(r => r.Partition.Value).Distinct());
            Assert.Equal(group.Select(w => w.Envelope.Id), got.Select(r => ChatOpsJson.FromBytes(r.Message.Value).Id));
            Assert.Equal(group.Select(w => w.Envelope.TraceParent), got.Select(r => Header(r, KafkaHeaders.TraceParent)));
            Assert.Equal(group.Select(w => w.Envelope.Id), got.Select(r => Header(r, KafkaHeaders.MessageId)));
            Assert.All(got, r => Assert.Equal("test.probed", Header(r, KafkaHeaders.Type)));
        }
    }

    [Fact]
    public async Task A_record_that_is_not_an_envelope_is_exported_as_raw_base64_and_counted()
    {
        var topic = fixture.NewTopic();
        using var writer = new TopicWriter(fixture);
        var (envelope, _) = await writer.WriteAsync(topic, "web-1", 1);
        byte[] garbage = [0x7b, 0xff, 0x00, 0x42];
        var position = await writer.WriteRawAsync(topic, "web-2", garbage);
        var output = new MemoryStream();

        var result = await Replayer().ExportAsync(topic, ReplayStart.FromOffset(0), output, "memory").WaitAsync(Patience);

        Assert.Equal(2, result.Records);
        Assert.Equal(1, result.NotEnvelopes);
        var lines = Lines(output);
        var raw = Assert.Single(lines, l => !l.TryGetProperty("envelope", out _));
        Assert.Equal(garbage, Convert.FromBase64String(raw.GetProperty("valueBase64").GetString()!));
        Assert.Equal(position.Offset.Value, raw.GetProperty("offset").GetInt64());
        Assert.Equal("web-2", raw.GetProperty("key").GetString());
        Assert.False(string.IsNullOrEmpty(raw.GetProperty("error").GetString()));
        Assert.Equal(envelope.Id, Assert.Single(lines, l => l.TryGetProperty("envelope", out _)).GetProperty("envelope").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Replay_stops_at_the_high_watermarks_of_its_start_while_a_producer_keeps_writing()
    {
        var topic = fixture.NewTopic();
        using var writer = new TopicWriter(fixture);
        using var stop = new CancellationTokenSource();
        var written = 0;
        var waiting = new List<(int Count, TaskCompletionSource Reached)>();
        Task moreWritten(int count)
        {
            lock (waiting)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiting.Add((count, reached));
                return reached.Task;
            }
        }

        var head = moreWritten(200);
        var producing = Task.Run(async () =>
        {
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                await writer.WriteAsync(topic, $"server-{seq % 5}", seq);
                var count = Interlocked.Increment(ref written);
                lock (waiting)
                {
                    foreach (var (target, reached) in waiting.Where(w => w.Count <= count))
                    {
                        reached.TrySetResult();
                    }
                }
            }
        });
        await head.WaitAsync(Patience);
        var before = HighWatermarks(topic).Sum();
        var output = new MemoryStream();

        var result = await Replayer().ExportAsync(topic, ReplayStart.FromOffset(0), output, "memory").WaitAsync(Patience);

        Assert.False(producing.IsCompleted, "the producer should still be writing when the replay ended");
        var writtenAtEnd = Volatile.Read(ref written);
        await moreWritten(writtenAtEnd + 20).WaitAsync(Patience);
        await stop.CancelAsync();
        await producing.WaitAsync(Patience);
        Assert.True(result.Records >= before, $"replayed {result.Records}, but {before} were written before it started");
        var after = HighWatermarks(topic).Sum();
        Assert.True(after > result.Records, $"records written after the start should not be replayed ({result.Records} replayed, {after} in the topic)");
        // Each partition is read from its start without a gap up to where the replay stopped.
        foreach (var partition in Lines(output).GroupBy(l => l.GetProperty("partition").GetInt32()))
        {
            var offsets = partition.Select(l => l.GetProperty("offset").GetInt64()).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(i => (long)i), offsets);
        }
    }

    [Fact]
    public async Task A_missing_topic_is_reported_by_name()
    {
        var missing = "t-missing-" + Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<ReplayException>(() => Replayer().ExportAsync(missing, ReplayStart.FromOffset(0), new MemoryStream(), "memory").WaitAsync(Patience));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private KafkaReplayer Replayer() => new(fixture.Options());

    private static async Task<List<(Envelope Envelope, TopicPartitionOffset Position)>> WriteKeysAsync(TopicWriter writer, string topic, int keys, int perKey)
    {
        var written = new List<(Envelope, TopicPartitionOffset)>();
        for (var seq = 0; seq < perKey; seq++)
        {
            for (var k = 0; k < keys; k++)
            {
                written.Add(await writer.WriteAsync(topic, $"server-{k}", seq));
            }
        }

        return written;
    }

    private static List<JsonElement> ReadLines(string file) =>
        File.ReadAllLines(file).Select(line => JsonDocument.Parse(line).RootElement).ToList();

    private static List<JsonElement> Lines(MemoryStream output) =>
        Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();

    private static string? Header(ConsumeResult<byte[], byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    private List<long> HighWatermarks(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = fixture.Cluster.BootstrapServers, GroupId = "watermarks" })
            .SetLogHandler((_, _) => { }).Build();
        return Enumerable.Range(0, MockClusterFixture.Partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value)
            .ToList();
    }

    // Reads partitions directly (no group), so nothing waits for a group join.
    private List<ConsumeResult<byte[], byte[]>> ReadAll(string topic, int count)
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
}
