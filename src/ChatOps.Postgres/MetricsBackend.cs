namespace ChatOps.Postgres;

/// <summary>What stores <c>metric_samples</c>, chosen once by the metrics migration (see <see cref="TimescaleMode"/>).</summary>
public enum MetricsBackend
{
    /// <summary>Daily range partitions and rollup tables maintained by the metrics jobs.</summary>
    Partitioned,

    /// <summary>A TimescaleDB hypertable with compression, retention and continuous aggregates run by TimescaleDB's own jobs.</summary>
    TimescaleDb,
}
