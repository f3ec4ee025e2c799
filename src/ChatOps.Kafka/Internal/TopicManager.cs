using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// Makes sure topics exist before the bus uses them: reads the cluster's metadata, creates what is
/// missing with the configured partitions, replication factor and <c>min.insync.replicas</c>, and
/// warns (once per topic) when an existing topic's partition count differs from the configuration.
/// A topic is checked once per process; a failed check (cluster unreachable) is retried next time.
/// </summary>
internal sealed class TopicManager : IDisposable
{
    private readonly KafkaBusOptions _options;
    private readonly ILogger _logger;
    private readonly IAdminClient _admin;
    private readonly ConcurrentDictionary<string, Task> _ensured = new(StringComparer.Ordinal);

    public TopicManager(KafkaBusOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _admin = new AdminClientBuilder(ClientConfigs.Admin(options))
            .SetLogHandler((_, message) => LibrdkafkaLog.Write(logger, message))
            .SetErrorHandler((_, error) => logger.LogDebug("Kafka admin client: {Error}", error.Reason))
            .Build();
    }

    public Task EnsureAsync(string topic, CancellationToken cancellationToken)
    {
        if (_ensured.TryGetValue(topic, out var done) && done.IsCompletedSuccessfully)
        {
            return Task.CompletedTask;
        }

        return EnsureAsync([topic], cancellationToken);
    }

    /// <summary>Throws <see cref="KafkaException"/> when the cluster cannot be reached to check.</summary>
    public async Task EnsureAsync(IReadOnlyCollection<string> topics, CancellationToken cancellationToken)
    {
        var waits = new List<Task>();
        var toCheck = new List<string>();
        foreach (var topic in topics.Distinct(StringComparer.Ordinal))
        {
            if (!_ensured.TryGetValue(topic, out var existing) || existing.IsFaulted || existing.IsCanceled)
            {
                toCheck.Add(topic);
            }
            else if (!existing.IsCompletedSuccessfully)
            {
                waits.Add(existing);
            }
        }

        if (toCheck.Count > 0)
        {
            var attempt = Task.Run(() => EnsureCoreAsync(toCheck), CancellationToken.None);
            foreach (var topic in toCheck)
            {
                _ensured[topic] = attempt;
            }

            waits.Add(attempt);
        }

        if (waits.Count > 0)
        {
            await Task.WhenAll(waits).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when a broker answered a metadata request within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await Task.Run(() => _admin.GetMetadata(timeout), CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
            return metadata.Brokers.Count > 0;
        }
        catch (KafkaException ex)
        {
            _logger.LogDebug("Kafka metadata request failed: {Reason}", ex.Error.Reason);
            return false;
        }
    }

    public void Dispose() => _admin.Dispose();

    private async Task EnsureCoreAsync(List<string> topics)
    {
        var partitions = ReadPartitionCounts();
        var missing = topics.Where(t => !partitions.ContainsKey(t)).ToList();
        foreach (var topic in topics.Where(partitions.ContainsKey))
        {
            ReportMismatch(topic, partitions[topic]);
        }

        if (missing.Count == 0)
        {
            return;
        }

        try
        {
            await _admin.CreateTopicsAsync(missing.Select(Specification), CreateOptions()).ConfigureAwait(false);
            _logger.LogInformation(
                "Created Kafka topic(s) {Topics} with {Partitions} partitions, replication factor {ReplicationFactor}, min.insync.replicas {MinInsyncReplicas}",
                string.Join(", ", missing),
                _options.Partitions,
                _options.ReplicationFactor,
                _options.MinInsyncReplicas);
        }
        catch (CreateTopicsException ex)
        {
            ReportCreateFailures(ex);
        }
        catch (KafkaException ex) when (ex.Error.Code is not (ErrorCode.Local_TimedOut or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown))
        {
            // Brokers that cannot create topics on request (old brokers, some managed services, the test
            // mock) still create them on a metadata request when auto.create.topics.enable is on.
            _logger.LogWarning(
                "The Kafka brokers did not create topic(s) {Topics} on request ({Reason}); asking for them so brokers that auto-create topics make them with their own defaults",
                string.Join(", ", missing),
                ex.Error.Reason);
            foreach (var topic in missing)
            {
                var created = _admin.GetMetadata(topic, _options.AdminTimeout).Topics.FirstOrDefault(t => t.Topic == topic);
                if (created is null || created.Error.Code != ErrorCode.NoError)
                {
                    _logger.LogError("Kafka topic {Topic} does not exist and could not be created ({Reason}): publishing to it will fail", topic, created?.Error.Reason ?? "no metadata");
                    continue;
                }

                ReportMismatch(topic, created.Partitions.Count);
            }
        }
    }

    private Dictionary<string, int> ReadPartitionCounts() =>
        _admin.GetMetadata(_options.AdminTimeout).Topics
            .Where(t => t.Error.Code == ErrorCode.NoError)
            .ToDictionary(t => t.Topic, t => t.Partitions.Count, StringComparer.Ordinal);

    private void ReportCreateFailures(CreateTopicsException ex)
    {
        var raced = new List<string>();
        foreach (var result in ex.Results)
        {
            switch (result.Error.Code)
            {
                case ErrorCode.NoError:
                    _logger.LogInformation("Created Kafka topic {Topic} with {Partitions} partitions", result.Topic, _options.Partitions);
                    break;
                case ErrorCode.TopicAlreadyExists:
                    raced.Add(result.Topic);
                    break;
                case ErrorCode.InvalidReplicationFactor or ErrorCode.InvalidPartitions or ErrorCode.InvalidConfig or ErrorCode.PolicyViolation:
                    _logger.LogError(
                        "Could not create Kafka topic {Topic}: {Reason}. Check {PartitionsKey} ({Partitions}), {ReplicationKey} ({ReplicationFactor}) and {MinIsrKey} ({MinInsyncReplicas}) against the cluster",
                        result.Topic,
                        result.Error.Reason,
                        KafkaBusOptions.Key(nameof(KafkaBusOptions.Partitions)),
                        _options.Partitions,
                        KafkaBusOptions.Key(nameof(KafkaBusOptions.ReplicationFactor)),
                        _options.ReplicationFactor,
                        KafkaBusOptions.Key(nameof(KafkaBusOptions.MinInsyncReplicas)),
                        _options.MinInsyncReplicas);
                    break;
                default:
                    _logger.LogError("Could not create Kafka topic {Topic}: {Reason}", result.Topic, result.Error.Reason);
                    break;
            }
        }

        if (raced.Count > 0)
        {
            // Another process created them meanwhile; theirs may have other settings.
            var partitions = ReadPartitionCounts();
            foreach (var topic in raced.Where(partitions.ContainsKey))
            {
                ReportMismatch(topic, partitions[topic]);
            }
        }
    }

    private void ReportMismatch(string topic, int actual)
    {
        if (actual == _options.Partitions)
        {
            return;
        }

        _logger.LogWarning(
            "Kafka topic {Topic} has {Actual} partitions but {Key} is {Expected}: ChatOps uses the topic as it is (order per key holds; consumer parallelism follows the topic). Align the two to silence this",
            topic,
            actual,
            KafkaBusOptions.Key(nameof(KafkaBusOptions.Partitions)),
            _options.Partitions);
    }

    private TopicSpecification Specification(string topic) => new()
    {
        Name = topic,
        NumPartitions = _options.Partitions,
        ReplicationFactor = _options.ReplicationFactor,
        Configs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["min.insync.replicas"] = _options.MinInsyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    private CreateTopicsOptions CreateOptions() => new() { RequestTimeout = _options.AdminTimeout, OperationTimeout = _options.AdminTimeout };
}
