namespace ChatOps.Postgres.Internal;

/// <summary>How <see cref="PostgresMetricsStore"/> gets a batch into <c>metric_samples</c>.</summary>
internal enum MetricsCopyMode
{
    /// <summary>
    /// Binary COPY straight into the table; only when that hits the unique key (a redelivered
    /// batch) the batch goes again through a staging table and INSERT ... ON CONFLICT DO NOTHING.
    /// </summary>
    DirectThenStaging,

    /// <summary>Always through the staging table (for measuring the difference).</summary>
    Staging,
}
