using System.Collections.Concurrent;
using ChatOps.Kafka.Internal;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Kafka.Replay;

/// <summary>
/// Re-drives or exports the records of a topic, from a time or offsets up to the high watermarks taken
/// when the replay started (so a replay ends even while producers keep writing).
/// <para>
/// Reading uses <c>Assign</c>: no consumer group is joined and no offset is committed, so a replay never
/// moves or rebalances the groups of running services. Re-driving writes each record's key, value and
/// headers unchanged to the target topic with an idempotent producer (<c>acks=all</c>), so the order of
/// each key holds. Exporting writes one JSON line per record: topic, partition, offset, timestamp, key, headers and
/// the envelope, or <c>valueBase64</c> and <c>error</c> for a record that is not an envelope.
/// Records that are not envelopes are copied or exported as raw bytes and counted in
/// <see cref="ReplayResult.NotEnvelopes"/>, never dropped.
/// </para>
/// </summary>
public sealed class KafkaReplayer
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly KafkaBusOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public KafkaReplayer(KafkaBusOptions options, TimeProvider? timeProvider = null, ILogger<KafkaReplayer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ReplayException(string.Join(Environment.NewLine, problems));
        }

        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<KafkaReplayer>.Instance;
    }

    /// <summary>
    /// A replay that receives nothing for this long while records below the high watermark remain fails
    /// (brokers gone, leader unavailable) instead of hanging.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Re-publishes the records of <paramref name="topic"/> from <paramref name="from"/> to <paramref name="targetTopic"/>.</summary>
    /// <exception cref="ReplayException">A topic is missing, Kafka is unreachable, or the target refused records (it may then hold a partial copy).</exception>
    public Task<ReplayResult> RedriveAsync(string topic, ReplayStart from, string targetTopic, CancellationToken cancellationToken = default)
    {
        ValidateTopic(topic);
        ValidateTopic(targetTopic);
        ArgumentNullException.ThrowIfNull(from);
        return Task.Factory.StartNew(() => Redrive(topic, from, targetTopic, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Writes the records of <paramref name="topic"/> from <paramref name="from"/> as JSON lines to <paramref name="output"/>.</summary>
    /// <exception cref="ReplayException">The topic is missing or Kafka is unreachable.</exception>
    public Task<ReplayResult> ExportAsync(string topic, ReplayStart from, Stream output, string destination, CancellationToken cancellationToken = default)
    {
        ValidateTopic(topic);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(output);
        return Task.Factory.StartNew(() => Export(topic, from, output, destination, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Exports to a new file. The lines go to <c>{path}.partial</c> first and the file appears under
    /// <paramref name="path"/> only when the replay completed, so a half export is never mistaken for a whole one.
    /// </summary>
    /// <exception cref="ReplayException">The file exists already, cannot be written, or the replay failed.</exception>
    public async Task<ReplayResult> ExportToFileAsync(string topic, ReplayStart from, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (File.Exists(path))
        {
            throw new ReplayException($"{path} exists already; choose another file or remove it.");
        }

        var partial = path + ".partial";
        ReplayResult result;
        try
        {
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                result = await ExportAsync(topic, from, output, path, cancellationToken).ConfigureAwait(false);
            }

            File.Move(partial, path, overwrite: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(partial);
            throw new ReplayException($"Could not write {path}: {ex.Message}", ex);
        }
        catch
        {
            TryDelete(partial);
            throw;
        }

        return result;
    }

    private ReplayResult Redrive(string topic, ReplayStart from, string targetTopic, CancellationToken cancellationToken)
    {
        RequireTopic(targetTopic);
        var failures = new ConcurrentQueue<Error>();
        using var producer = new ProducerBuilder<byte[], byte[]>(ClientConfigs.Producer(_options))
            .SetLogHandler((_, message) => LibrdkafkaLog.Write(_logger, message))
            .SetErrorHandler((_, error) => _logger.LogWarning("Kafka producer: {Reason}", error.Reason))
            .Build();
        void OnDelivered(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                failures.Enqueue(report.Error);
            }
        }

        var (partitions, records, notEnvelopes) = Read(topic, from, record =>
        {
            ThrowOnFailure(failures, targetTopic);
            // A new timestamp: the re-driven record is a new write, and the target's time-based retention
            // must not delete it at once because the original is old.
            var message = new Message<byte[], byte[]> { Key = record.Message.Key, Value = record.Message.Value, Headers = record.Message.Headers };
            Produce(producer, targetTopic, message, OnDelivered, cancellationToken);
        }, cancellationToken);

        var unsent = producer.Flush(_options.DeliveryTimeout + _options.AdminTimeout);
        ThrowOnFailure(failures, targetTopic);
        if (unsent > 0)
        {
            throw new ReplayException($"{unsent} records were not acknowledged by Kafka in time; {targetTopic} may hold a partial copy. Replay again once the brokers are healthy.");
        }

        return new ReplayResult(topic, partitions, records, notEnvelopes, targetTopic);
    }

    private ReplayResult Export(string topic, ReplayStart from, Stream output, string destination, CancellationToken cancellationToken)
    {
        using var writer = new ReplayExportWriter(output);
        var (partitions, records, notEnvelopes) = Read(topic, from, writer.Write, cancellationToken);
        writer.Complete();
        return new ReplayResult(topic, partitions, records, notEnvelopes, destination);
    }

    private (int Partitions, long Records, long NotEnvelopes) Read(string topic, ReplayStart from, Action<ConsumeResult<byte[], byte[]>> onRecord, CancellationToken cancellationToken)
    {
        var partitionIds = RequireTopic(topic);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(ConsumerConfig())
            .SetLogHandler((_, message) => LibrdkafkaLog.Write(_logger, message))
            .SetErrorHandler((_, error) => _logger.LogWarning("Kafka consumer: {Reason}", error.Reason))
            .Build();

        var plan = ReplayPlan.Create(consumer, topic, partitionIds, from, _options.AdminTimeout);
        if (plan.Count == 0)
        {
            return (0, 0, 0);
        }

        long records = 0, notEnvelopes = 0;
        var pending = new HashSet<int>(plan.Keys);
        consumer.Assign(plan.Select(p => new TopicPartitionOffset(topic, p.Key, p.Value.Start)));
        var lastProgress = _time.GetTimestamp();
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ConsumeResult<byte[], byte[]>? record;
            try
            {
                record = consumer.Consume(PollInterval);
            }
            catch (ConsumeException ex)
            {
                throw new ReplayException($"Reading {topic} failed: {ex.Error.Reason}", ex);
            }

            if (record is null)
            {
                if (_time.GetElapsedTime(lastProgress) > IdleTimeout)
                {
                    throw new ReplayException($"Nothing arrived from {topic} for {IdleTimeout.TotalSeconds:0} s with records still to read on partitions {string.Join(",", pending.Order())}; are the brokers reachable?");
                }

                continue;
            }

            lastProgress = _time.GetTimestamp();
            var partition = record.Partition.Value;
            var end = plan[partition].End;
            // The end-of-partition event covers gaps (compaction, transaction markers) where no record sits at end - 1.
            if (record.IsPartitionEOF || record.Offset.Value >= end)
            {
                if (record.Offset.Value >= end)
                {
                    Done(consumer, pending, record.TopicPartition);
                }

                continue;
            }

            if (plan[partition].SkipBefore is { } skipBefore)
            {
                if (record.Message.Timestamp.UtcDateTime < skipBefore.UtcDateTime)
                {
                    continue;
                }

                // From the first record at or after the time on, everything is replayed, as with the time index.
                plan[partition] = plan[partition] with { SkipBefore = null };
            }

            onRecord(record);
            records++;
            if (!RecordCodec.TryRead(record, out _, out _))
            {
                notEnvelopes++;
            }

            if (record.Offset.Value + 1 >= end)
            {
                Done(consumer, pending, record.TopicPartition);
            }
        }

        consumer.Close();
        return (plan.Count, records, notEnvelopes);
    }

    private static void Done(IConsumer<byte[], byte[]> consumer, HashSet<int> pending, TopicPartition partition)
    {
        if (pending.Remove(partition.Partition.Value))
        {
            // Records past the high watermark are not ours to read; stop fetching them.
            consumer.Pause([partition]);
        }
    }

    private ConsumerConfig ConsumerConfig() => new()
    {
        BootstrapServers = _options.BootstrapServers,
        ClientId = _options.ClientId + "-replay",
        // Required by the client, but never joined (Assign) and never committed to: no group is disturbed or created.
        GroupId = "chatops-replay-" + Guid.NewGuid().ToString("N"),
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        EnablePartitionEof = true,
        // Retention may delete the start while we wait; then read from what is left rather than fail.
        AutoOffsetReset = AutoOffsetReset.Earliest,
        FetchWaitMaxMs = ClientConfigs.Millis(_options.FetchWaitMax),
        AllowAutoCreateTopics = false,
    };

    private List<int> RequireTopic(string topic)
    {
        using var admin = new AdminClientBuilder(ClientConfigs.Admin(_options))
            .SetLogHandler((_, message) => LibrdkafkaLog.Write(_logger, message))
            .Build();
        Metadata metadata;
        try
        {
            // All topics: asking for one by name lets brokers with auto-creation on create it.
            metadata = admin.GetMetadata(_options.AdminTimeout);
        }
        catch (KafkaException ex)
        {
            throw new ReplayException($"Could not reach Kafka at {_options.BootstrapServers}: {ex.Error.Reason}", ex);
        }

        var found = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        if (found is null || found.Error.Code == ErrorCode.UnknownTopicOrPart || (!found.Error.IsError && found.Partitions.Count == 0))
        {
            throw new ReplayException($"Topic {topic} does not exist on {_options.BootstrapServers}.");
        }

        if (found.Error.IsError)
        {
            throw new ReplayException($"Kafka could not describe topic {topic}: {found.Error.Reason}");
        }

        return found.Partitions.Select(p => p.PartitionId).Order().ToList();
    }

    private void Produce(IProducer<byte[], byte[]> producer, string topic, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>> onDelivered, CancellationToken cancellationToken)
    {
        var waitedSince = _time.GetTimestamp();
        while (true)
        {
            try
            {
                producer.Produce(topic, message, onDelivered);
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Back-pressure: wait for acknowledgements to free the local buffer, but not for ever.
                cancellationToken.ThrowIfCancellationRequested();
                if (_time.GetElapsedTime(waitedSince) > _options.DeliveryTimeout)
                {
                    throw new ReplayException($"Kafka stopped taking records for {topic} (local buffer full for {_options.DeliveryTimeout.TotalSeconds:0} s); it may hold a partial copy.", ex);
                }

                producer.Poll(PollInterval);
            }
        }
    }

    private static void ThrowOnFailure(ConcurrentQueue<Error> failures, string targetTopic)
    {
        if (failures.TryPeek(out var first))
        {
            throw new ReplayException($"Kafka did not accept {failures.Count} record(s) for {targetTopic} ({first.Code}: {first.Reason}); {targetTopic} may hold a partial copy. Try again; consumers are idempotent by message id.");
        }
    }

    private static void ValidateTopic(string topic)
    {
        try
        {
            TopicNameRules.Validate(topic);
        }
        catch (ArgumentException ex)
        {
            throw new ReplayException(ex.Message, ex);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the .partial name already says it is incomplete.
        }
    }
}
