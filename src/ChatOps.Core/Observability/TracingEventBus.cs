using System.Diagnostics;
using System.Text.Json;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Core.Routing;

namespace ChatOps.Core.Observability;

/// <summary>
/// Carries the trace across the bus for every adapter at once: a publish stamps the envelope with the
/// current span's <c>traceparent</c> (the Kafka bus writes it as the <c>traceparent</c> header too), and
/// every consumer's handler runs in a child span of the message's trace. One decorator instead of an
/// edit in each consumer; the wrapped bus's delivery contract is unchanged.
/// </summary>
public sealed class TracingEventBus(IEventBus inner) : IEventBus
{
    public IEventBus Inner { get; } = inner;

    public Task PublishAsync(string topic, Envelope envelope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        using var span = ChatOpsTracing.Source.StartActivity(topic + " publish", ActivityKind.Producer);
        span?.SetTag("messaging.destination.name", topic);
        span?.SetTag("messaging.message.id", envelope.Id);
        span?.SetTag("chatops.event_type", envelope.Type);
        // An envelope that already carries a trace (a dead letter, a replay) keeps it.
        if (envelope.TraceParent is null && ChatOpsTracing.CurrentTraceParent() is { } traceParent)
            envelope = envelope with { TraceParent = traceParent };
        return Inner.PublishAsync(topic, envelope, cancellationToken);
    }

    public Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Inner.SubscribeAsync(topic, group, async (envelope, ct) =>
        {
            using var span = ChatOpsTracing.StartFrom(topic + " process", ActivityKind.Consumer, envelope.TraceParent);
            span?.SetTag("messaging.destination.name", topic);
            span?.SetTag("messaging.consumer.group.name", group);
            span?.SetTag("messaging.message.id", envelope.Id);
            span?.SetTag("chatops.event_type", envelope.Type);
            // The router's span is the parent of the command's dispatch, wherever the dispatch starts from.
            if (envelope.Type == EventTypes.CommandRequested && group == CommandRouter.ConsumerGroup && ChatOpsTracing.CurrentTraceParent() is { } trace
                && envelope.Payload.ValueKind == JsonValueKind.Object && envelope.Payload.TryGetProperty("requestId", out var requestId) && requestId.GetString() is { } id)
                CommandTraceContexts.Remember(id, trace);
            try
            {
                await handler(envelope, ct);
            }
            catch (Exception ex)
            {
                span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                throw;
            }
        }, options, cancellationToken);
    }
}
