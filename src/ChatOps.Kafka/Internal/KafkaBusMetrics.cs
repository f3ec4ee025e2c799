using System.Diagnostics.Metrics;
using ChatOps.Core.Observability;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// The bus's instruments on meter <c>ChatOps.Kafka</c>: what was published, what failed and why,
/// what was parked, and how many publishes wait for Kafka now (the local buffer in use). Parked messages
/// and consumer offset resets also go to the host's <see cref="ChatOpsMeter"/> (when there is one),
/// which is what <c>/metrics</c> exports.
/// </summary>
internal sealed class KafkaBusMetrics : IDisposable
{
    public const string MeterName = "ChatOps.Kafka";

    private readonly Meter _meter = new(MeterName);
    private readonly ChatOpsMeter? _host;
    private readonly Counter<long> _published;
    private readonly Counter<long> _publishFailed;
    private readonly Counter<long> _handlerFailed;
    private readonly Counter<long> _deadLettered;
    private long _waiting;

    public KafkaBusMetrics(ChatOpsMeter? host = null)
    {
        _host = host;
        _published = _meter.CreateCounter<long>("chatops.bus.published", description: "Messages Kafka acknowledged.");
        _publishFailed = _meter.CreateCounter<long>("chatops.bus.publish_failed", description: "Publishes that failed, by reason.");
        _handlerFailed = _meter.CreateCounter<long>("chatops.bus.handler_failed", description: "Handler attempts that threw.");
        _deadLettered = _meter.CreateCounter<long>("chatops.bus.dead_lettered", description: "Messages parked on a dead-letter topic.");
        _meter.CreateObservableGauge("chatops.bus.publish_waiting", () => Interlocked.Read(ref _waiting), description: "Publishes waiting for Kafka's acknowledgement.");
    }

    public void Published(string topic) => _published.Add(1, Topic(topic));

    public void PublishFailed(string topic, string reason) =>
        _publishFailed.Add(1, Topic(topic), new KeyValuePair<string, object?>("reason", reason));

    public void HandlerFailed(string topic) => _handlerFailed.Add(1, Topic(topic));

    public void DeadLettered(string topic)
    {
        _deadLettered.Add(1, Topic(topic));
        _host?.DeadLetters.Add(1, Topic(topic));
    }

    /// <summary>A consumer of <paramref name="topic"/> jumped past records it had not read (see <see cref="LibrdkafkaLog"/>).</summary>
    public void OffsetReset(string topic) => _host?.OffsetResets.Add(1, Topic(topic));

    public long Waiting => Interlocked.Read(ref _waiting);

    public void EnterWaiting() => Interlocked.Increment(ref _waiting);

    public void ExitWaiting() => Interlocked.Decrement(ref _waiting);

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Topic(string topic) => new("topic", topic);
}
