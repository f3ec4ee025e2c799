using System.Collections.Concurrent;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOps.Embedded.Bus;

/// <summary>
/// The in-process <see cref="IEventBus"/> with Kafka's semantics: topics created on first use with
/// <see cref="InMemoryBusOptions.Partitions"/> partitions chosen by a stable hash of the key, an
/// append-only log per partition, consumer groups with committed offsets whose members share the
/// partitions, at-least-once delivery with retries and a dead-letter topic.
/// <para>
/// Each partition of each group is handled by one worker, which runs messages of different keys
/// concurrently (up to <see cref="ConsumerOptions.MaxInFlightPerPartition"/>) and those of one key one
/// after another in offset order; it commits up to the first message not finished yet.
/// </para>
/// <para>
/// Nothing survives the process: this is the zero-setup default, not a durable log. Retention keeps
/// what some known group has not committed, up to <see cref="InMemoryBusOptions.MaxRetainedPerPartition"/>
/// per partition; past that bound the oldest messages go and <see cref="DroppedCount"/> says so.
/// </para>
/// </summary>
public sealed class InMemoryEventBus : IEventBus, IConsumerLagSource, IAsyncDisposable
{
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(10);

    private readonly InMemoryBusOptions _options;
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _workers = [];
    private readonly ConcurrentDictionary<(string Topic, string Group), ConsumerGroup> _groups = new();
    private readonly CancellationTokenSource _shutdown = new();
    private long _dropped;
    private int _disposed;

    public InMemoryEventBus(
        IOptions<InMemoryBusOptions>? options = null,
        TimeProvider? timeProvider = null,
        ILogger<InMemoryEventBus>? logger = null,
        ChatOpsMeter? meter = null)
    {
        _options = options?.Value ?? new InMemoryBusOptions();
        var validation = new InMemoryBusOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(InMemoryBusOptions), typeof(InMemoryBusOptions), validation.Failures);
        }

        TimeProvider = timeProvider ?? TimeProvider.System;
        Logger = logger ?? NullLogger<InMemoryEventBus>.Instance;
        ShutdownToken = _shutdown.Token;
        Meter = meter;
    }

    /// <summary>Messages retention discarded before at least one group had committed them.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    internal CancellationToken ShutdownToken { get; }

    /// <summary>Where parked messages are counted (<see cref="ChatOpsMeter.DeadLetters"/>); none when null.</summary>
    internal ChatOpsMeter? Meter { get; }

    public Task PublishAsync(string topic, Envelope envelope, CancellationToken cancellationToken = default)
    {
        TopicNames.Validate(topic);
        ValidateEnvelope(envelope);
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _disposed) == 1)
        {
            throw new BusUnavailableException($"The in-process bus is shut down; message {envelope.Id} was not accepted on {topic}.");
        }

        Topic(topic).Append(envelope, out var toWake);
        foreach (var worker in toWake)
        {
            worker.Wake();
        }

        return Task.CompletedTask;
    }

    public Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        TopicNames.Validate(topic);
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentNullException.ThrowIfNull(handler);
        var checkedOptions = ConsumerOptionsCheck.Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);

        var state = Topic(topic);
        Subscription member;
        lock (state.Sync)
        {
            var consumerGroup = state.GetOrCreateGroup(group);
            _groups.TryAdd((topic, group), consumerGroup);
            member = new Subscription(this, consumerGroup, consumerGroup.NextMemberId(), handler, checkedOptions);
            consumerGroup.Join(member);
        }

        Logger.LogInformation("{Member} joined group {Group} on {Topic}", member.Id, group, topic);
        return Task.FromResult<IAsyncDisposable>(member);
    }

    /// <summary>
    /// Stops every consumer: handlers see their token cancelled and messages in hand stay uncommitted.
    /// Waits for running handlers (up to 10 s, then logs the stragglers and returns).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _shutdown.CancelAsync();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(ShutdownGrace, TimeProvider);
        }
        catch (TimeoutException)
        {
            Logger.LogWarning("In-process bus shut down with handlers still running after {Grace}: they ignore their cancellation token", ShutdownGrace);
        }
        catch (Exception ex)
        {
            // A worker that died was logged as critical when it did; shutting down goes on.
            Logger.LogDebug(ex, "A bus worker had failed before shutdown");
        }
    }

    /// <summary>Per topic and group, messages published but not yet finished by the group (end of log − next offset).</summary>
    public IReadOnlyList<ConsumerLag> ReadConsumerLag()
    {
        var lags = new List<ConsumerLag>();
        foreach (var ((topic, group), consumerGroup) in _groups)
        {
            var state = consumerGroup.Topic;
            long lag = 0;
            lock (state.Sync)
            {
                for (var p = 0; p < state.Logs.Length; p++)
                {
                    lag += Math.Max(0, state.Logs[p].EndOffset - consumerGroup.Workers[p].NextOffset);
                }
            }

            lags.Add(new ConsumerLag(topic, group, lag));
        }

        return lags;
    }

    internal void Track(Task worker) => _workers.Add(worker);

    internal void CountDropped() => Interlocked.Increment(ref _dropped);

    private TopicState Topic(string name) =>
        _topics.GetOrAdd(name, static (n, bus) => new TopicState(bus, n, bus._options.Partitions, bus._options.MaxRetainedPerPartition), this);

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
