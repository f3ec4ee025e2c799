using ChatOps.Core.Domain;

namespace ChatOps.Core.Ports;

/// <summary>The resolution of a chart query; <see cref="Auto"/> picks by the window's length.</summary>
public enum MetricResolution
{
    Auto,
    Raw,
    Minute,
    Hour,
}

/// <summary>One series: a server's metric, optionally narrowed by labels (e.g. <c>mount=/</c>), over a window.</summary>
public sealed record MetricQuery(
    string ServerId,
    string Name,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyDictionary<string, string>? Labels = null,
    MetricResolution Resolution = MetricResolution.Auto);

/// <summary>A point of a series. At raw resolution Min = Max = Avg and Count = 1; rolled up, the bucket's start.</summary>
public sealed record MetricPoint(DateTimeOffset At, double Avg, double Min, double Max, long Count);

/// <summary>The answer to a chart query, with the resolution actually used.</summary>
public sealed record MetricSeries(MetricResolution Resolution, IReadOnlyList<MetricPoint> Points);

/// <summary>
/// Time-series storage of agent metrics (TimescaleDB or partitioned PostgreSQL in scale mode).
/// Failure contract: <see cref="AppendAsync"/> either stores the whole batch or throws; the caller
/// (the metrics service) keeps the batch and retries, applying back-pressure instead of dropping.
/// Appending the same snapshot twice (same server, time, name and labels) stores it once.
/// </summary>
public interface IMetricsStore
{
    Task AppendAsync(IReadOnlyList<MetricSnapshot> batch, CancellationToken cancellationToken = default);

    /// <summary>Points in time order. Auto: raw up to 6 hours, minutes up to 7 days, hours beyond.</summary>
    Task<MetricSeries> QueryAsync(MetricQuery query, CancellationToken cancellationToken = default);
}
