using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Metrics;

/// <summary>The metrics service: keeps the newest snapshot per server in the cache (<c>metrics:latest:{server}</c>).</summary>
public sealed class MetricsIngestor(IMetricsCache cache)
{
    public const string ConsumerGroup = "metrics";

    public async Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        if (envelope.Type != EventTypes.MetricsReported) return;
        var reported = envelope.Read<MetricsReported>();
        await cache.SetLatestAsync(reported.Snapshot, cancellationToken);
    }
}
