using System.Diagnostics.Metrics;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// The bus's instruments on meter <c>ChatOps.Kafka</c>: what was published, what failed and why,
/// what was parked, and how many publishes wait for Kafka now (the local buffer in use).
/// </summary>
internal sealed class KafkaBusMetrics : IDisposable
{
    public const string MeterName = "ChatOps.Kafka";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _published;
    private readonly Counter<long> _publishFailed;
    private readonly Counter<long> _handlerFailed;
    private readonly Counter<long> _deadLettered;
    private long _waiting;

    public KafkaBusMetrics()
    {
        _published = _meter.CreateCounter<long>("chatops.bus.published", description: "Messages Kafka acknowledged.");
        _publishFailed = _meter.CreateCounter<long>("chatops.bus.publish_failed", description: "Publishes that failed, by reason.");
        _handlerFailed = _meter.CreateCounter<long>("chatops.bus.handler_failed", description: "Handler attempts that threw.");
        _deadLettered = _meter.CreateCounter<long>("chatops.bus.dead_lettered", description: "Messages parked on a dead-letter topic.");
        _meter.CreateObservableGauge("chatops.bus.publish_waiting", () => Interlocked.Read(ref _waiting), description: "Publishes waiting for Kafka's acknowledgement.");
    }

    public void Published(string topic) => _published.Add(1, new KeyValuePair<string, object?>("topic", topic));

    public void PublishFailed(string topic, string reason) =>
        _publishFailed.Add(1, new KeyValuePair<string, object?>("topic", topic), new KeyValuePair<string, object?>("reason", reason));

    public void HandlerFailed(string topic) => _handlerFailed.Add(1, new KeyValuePair<string, object?>("topic", topic));

    public void DeadLettered(string topic) => _deadLettered.Add(1, new KeyValuePair<string, object?>("topic", topic));

    public long Waiting => Interlocked.Read(ref _waiting);

    public void EnterWaiting() => Interlocked.Increment(ref _waiting);

    public void ExitWaiting() => Interlocked.Decrement(ref _waiting);

    public void Dispose() => _meter.Dispose();
}
