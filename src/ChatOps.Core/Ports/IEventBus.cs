using ChatOps.Core.Events;

namespace ChatOps.Core.Ports;

/// <summary>Handles one message. Throwing means "not processed": the bus retries, then parks it.</summary>
public delegate Task EnvelopeHandler(Envelope envelope, CancellationToken cancellationToken);

/// <summary>
/// The event bus: topics split into partitions by key, consumer groups that share a topic,
/// committed offsets and at-least-once delivery.
/// <para>Failure contract.</para>
/// <list type="bullet">
/// <item><see cref="PublishAsync"/> returns only once the bus has accepted the message (for Kafka: acknowledged by
/// all in-sync replicas). When it cannot accept it, it throws <see cref="BusUnavailableException"/>:
/// the caller tells the user "not accepted, try again". It never drops a message silently.</item>
/// <item>Messages with the same key are delivered in publish order, one at a time, within a group (a later one
/// waits for the earlier one, its retries and its parking included). Messages with different keys may be
/// handled concurrently, even within a partition, up to <see cref="ConsumerOptions.MaxInFlightPerPartition"/>.</item>
/// <item>Within a group each message is handled by one member; every group sees every message.</item>
/// <item>An offset is committed only after the handler returned, for it and every earlier message of its partition. A member that dies or leaves before that
/// causes redelivery to another member: handlers must be idempotent by <see cref="Envelope.Id"/>.</item>
/// <item>A handler that throws is retried with backoff up to <see cref="ConsumerOptions.MaxAttempts"/> times;
/// then the message is parked on <c>{topic}.dlq</c> (see <see cref="Topics.DeadLetter"/>) with the error in
/// <see cref="DeadLetter"/> form, and the consumer moves on.</item>
/// <item>A group that has never committed starts at the earliest retained message.</item>
/// </list>
/// </summary>
public interface IEventBus
{
    Task PublishAsync(string topic, Envelope envelope, CancellationToken cancellationToken = default);

    /// <summary>
    /// Joins <paramref name="group"/> on <paramref name="topic"/> and starts handling messages in the
    /// background. Disposing the subscription leaves the group (finishing or abandoning the message in hand,
    /// which is then redelivered).
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default);
}

public sealed record ConsumerOptions
{
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many messages of one partition a member holds at once (running, or waiting behind an earlier
    /// message of the same key). Different keys run concurrently up to this bound; 1 handles a partition
    /// strictly in offset order, one message at a time.
    /// </summary>
    public int MaxInFlightPerPartition { get; init; } = 64;
}

/// <summary>The payload of a message parked on a dead-letter topic.</summary>
public sealed record DeadLetter(string Topic, string Group, int Attempts, string Error, Envelope Original);

/// <summary>The bus did not accept a message (brokers unreachable, not enough replicas, buffer full). Retryable by the user.</summary>
public sealed class BusUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
