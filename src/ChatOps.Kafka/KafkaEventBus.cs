using System.Collections.Concurrent;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Kafka.Internal;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOps.Kafka;

/// <summary>
/// The <see cref="IEventBus"/> on Kafka (Confluent.Kafka). One idempotent producer (<c>acks=all</c>)
/// per bus; one consumer-group member, with its own poll thread, per subscription.
/// <para>
/// Publishing waits for the acknowledgement of all in-sync replicas and fails with
/// <see cref="BusUnavailableException"/> after <see cref="KafkaBusOptions.DeliveryTimeout"/>, when the
/// local buffer stays full, or when Kafka refuses the record. Records are keyed by
/// <see cref="Envelope.Key"/> and carry <see cref="KafkaHeaders"/>.
/// </para>
/// <para>
/// Consuming: each assigned partition is handled by one worker, which runs messages of different keys
/// concurrently (up to <see cref="ConsumerOptions.MaxInFlightPerPartition"/> held at once) and those of one
/// key one after another in offset order (different partitions of a member run concurrently too). The
/// committed offset is the first message not finished (handler returned, or parked on <c>{topic}.dlq</c>),
/// so whatever was not finished is redelivered; commits happen every <see cref="KafkaBusOptions.CommitInterval"/>,
/// on rebalance and on leaving. A record that is not an envelope is parked with the reason.
/// </para>
/// </summary>
public sealed class KafkaEventBus : IEventBus, IConsumerLagSource, IAsyncDisposable
{
    private static readonly TimeSpan BufferFullPause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan DefaultHealthTimeout = TimeSpan.FromSeconds(2);

    // Dead letters wrap the original envelope; this headroom lets a message that was accepted be parked.
    private const int DeadLetterHeadroomBytes = 32 * 1024;

    private readonly ConcurrentDictionary<KafkaSubscription, byte> _subscriptions = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TopicManager _topics;
    private readonly Lock _producerSync = new();
    private IProducer<string, byte[]> _producer;
    private int _disposed;

    public KafkaEventBus(IOptions<KafkaBusOptions> options, TimeProvider? timeProvider = null, ILogger<KafkaEventBus>? logger = null, ChatOpsMeter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        var problems = Options.Validate();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(KafkaBusOptions.Section, typeof(KafkaBusOptions), problems);
        }

        TimeProvider = timeProvider ?? TimeProvider.System;
        Logger = logger ?? NullLogger<KafkaEventBus>.Instance;
        Metrics = new KafkaBusMetrics(meter);
        _topics = new TopicManager(Options, Logger);
        _producer = BuildProducer();
    }

    internal KafkaBusOptions Options { get; }

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    internal KafkaBusMetrics Metrics { get; }

    /// <summary>Publishes waiting for Kafka's acknowledgement now.</summary>
    internal long PublishesWaiting => Metrics.Waiting;

    public Task PublishAsync(string topic, Envelope envelope, CancellationToken cancellationToken = default)
    {
        TopicNameRules.Validate(topic);
        ValidateEnvelope(envelope);
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _disposed) == 1)
        {
            throw PublishFailures.ShutDown(topic, envelope);
        }

        return PublishCoreAsync(topic, envelope, Options.MessageMaxBytes, cancellationToken);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        TopicNameRules.Validate(topic);
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentNullException.ThrowIfNull(handler);
        var checkedOptions = ConsumerOptionsCheck.Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);

        try
        {
            // A consumer of a topic that does not exist yet would not see it appear for minutes.
            await _topics.EnsureAsync(topic, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            throw new BusUnavailableException($"The event bus (Kafka) is unreachable ({ex.Error.Reason}): could not join group {group} on {topic}. Try again in a moment.", ex);
        }

        var subscription = new KafkaSubscription(this, topic, group, handler, checkedOptions);
        _subscriptions.TryAdd(subscription, 0);
        try
        {
            await subscription.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _subscriptions.TryRemove(subscription, out _);
            throw;
        }

        return subscription;
    }

    /// <summary>
    /// The lag of this process's consumer-group members by topic and group, from librdkafka's cached high
    /// watermarks and the members' progress (refreshed about every second on their poll threads; never waits on a broker).
    /// </summary>
    public IReadOnlyList<ConsumerLag> ReadConsumerLag() =>
        [.. _subscriptions.Keys
            .GroupBy(s => (s.Topic, s.Group))
            .Select(g => new ConsumerLag(g.Key.Topic, g.Key.Group, g.Sum(s => s.Lag)))];

    /// <summary>Creates the five ChatOps topics (and any others given) where missing; see <see cref="KafkaBusOptions.Partitions"/>.</summary>
    /// <exception cref="BusUnavailableException">The cluster could not be reached to check.</exception>
    public async Task EnsureTopicsAsync(IEnumerable<string>? topics = null, CancellationToken cancellationToken = default)
    {
        var names = (topics ?? Topics.All).ToList();
        names.ForEach(TopicNameRules.Validate);
        try
        {
            await _topics.EnsureAsync(names, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            throw new BusUnavailableException($"The event bus (Kafka) is unreachable ({ex.Error.Reason}): could not check topics {string.Join(", ", names)}.", ex);
        }
    }

    /// <summary>
    /// True when a broker answers a metadata request within <paramref name="timeout"/> (default 2 s):
    /// the readiness signal of a service that depends on the bus.
    /// </summary>
    public Task<bool> IsConnectedAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _topics.IsConnectedAsync(timeout ?? DefaultHealthTimeout, cancellationToken);

    /// <summary>
    /// Leaves every group (messages in hand are cancelled and stay uncommitted), then waits up to
    /// <see cref="KafkaBusOptions.DeliveryTimeout"/> for buffered publishes to be acknowledged.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_subscriptions.Keys.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        var producer = _producer;
        await Task.Run(() =>
        {
            var left = producer.Flush(Options.DeliveryTimeout);
            if (left > 0)
            {
                Logger.LogError("Kafka bus shut down with {Count} publish(es) not acknowledged within {Timeout}", left, Options.DeliveryTimeout);
            }

            producer.Dispose();
        }).ConfigureAwait(false);
        _topics.Dispose();
        Metrics.Dispose();
        _shutdown.Dispose();
    }

    internal CancellationToken ShutdownToken => _shutdown.Token;

    internal void Forget(KafkaSubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    /// <summary>Parks a dead letter; it may exceed the publish limit by the dead-letter wrapping.</summary>
    internal Task PublishDeadLetterAsync(string topic, Envelope deadLetter, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            throw PublishFailures.ShutDown(topic, deadLetter);
        }

        return PublishCoreAsync(topic, deadLetter, Options.MessageMaxBytes + DeadLetterHeadroomBytes, cancellationToken);
    }

    private async Task PublishCoreAsync(string topic, Envelope envelope, int maxBytes, CancellationToken cancellationToken)
    {
        var value = ChatOpsJson.ToBytes(envelope);
        if (value.Length > maxBytes)
        {
            Metrics.PublishFailed(topic, "too_large");
            throw PublishFailures.TooLarge(topic, envelope, value.Length, maxBytes);
        }

        try
        {
            await _topics.EnsureAsync(topic, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            Metrics.PublishFailed(topic, "unreachable");
            throw PublishFailures.Unreachable(topic, envelope, ex);
        }

        var message = RecordCodec.ToMessage(envelope, value);
        var bufferDeadline = TimeProvider.GetUtcNow() + Options.BufferFullWait;
        Metrics.EnterWaiting();
        try
        {
            while (true)
            {
                var producer = Volatile.Read(ref _producer);
                try
                {
                    await producer.ProduceAsync(topic, message, cancellationToken).ConfigureAwait(false);
                    Metrics.Published(topic);
                    return;
                }
                catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull && TimeProvider.GetUtcNow() < bufferDeadline)
                {
                    // Back-pressure: the buffer drains as Kafka acknowledges; wait for room a little.
                    await Task.Delay(BufferFullPause, TimeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (ProduceException<string, byte[]> ex)
                {
                    if (ex.Error.IsFatal)
                    {
                        ReplaceProducer(producer, ex.Error);
                    }

                    var (reason, failure) = PublishFailures.From(ex.Error, topic, envelope, Options, ex);
                    Metrics.PublishFailed(topic, reason);
                    Logger.LogWarning("Publish of {MessageId} ({Type}) on {Topic} failed: {Code} {Reason}", envelope.Id, envelope.Type, topic, ex.Error.Code, ex.Error.Reason);
                    throw failure;
                }
                catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) == 1)
                {
                    throw PublishFailures.ShutDown(topic, envelope);
                }
                catch (ObjectDisposedException) when (!ReferenceEquals(producer, Volatile.Read(ref _producer)))
                {
                    // Raced with the replacement of a failed producer: the new one takes it.
                }
            }
        }
        finally
        {
            Metrics.ExitWaiting();
        }
    }

    private IProducer<string, byte[]> BuildProducer() =>
        new ProducerBuilder<string, byte[]>(ClientConfigs.Producer(Options))
            .SetLogHandler((_, message) => LibrdkafkaLog.Write(Logger, message))
            .SetErrorHandler(OnProducerError)
            .Build();

    private void OnProducerError(IProducer<string, byte[]> producer, Error error)
    {
        if (error.IsFatal)
        {
            Logger.LogCritical("Kafka producer failed fatally: {Code} {Reason}", error.Code, error.Reason);
            ReplaceProducer(producer, error);
            return;
        }

        // Broker connections come and go; librdkafka retries on its own. A publish that cannot complete fails on its own.
        Logger.LogWarning("Kafka producer: {Code} {Reason}", error.Code, error.Reason);
    }

    // An idempotent producer that hit a fatal error (e.g. a sequence gap) refuses everything after it;
    // a new one gets a new producer id and carries on.
    private void ReplaceProducer(IProducer<string, byte[]> failed, Error error)
    {
        lock (_producerSync)
        {
            if (!ReferenceEquals(_producer, failed) || Volatile.Read(ref _disposed) == 1)
            {
                return;
            }

            _producer = BuildProducer();
        }

        Logger.LogWarning("Replaced the Kafka producer after a fatal error ({Reason})", error.Reason);
        _ = Task.Run(() =>
        {
            failed.Flush(TimeSpan.Zero);
            failed.Dispose();
        });
    }

    private static void ValidateEnvelope(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (string.IsNullOrWhiteSpace(envelope.Id) || string.IsNullOrWhiteSpace(envelope.Type) || envelope.Key is null)
        {
            throw new ArgumentException("An envelope needs an id, a type and a key (the key may be empty).", nameof(envelope));
        }

        if (envelope.Payload.ValueKind == System.Text.Json.JsonValueKind.Undefined)
        {
            throw new ArgumentException($"Envelope {envelope.Id} has no payload.", nameof(envelope));
        }
    }
}
