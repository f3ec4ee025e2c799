namespace ChatOps.Postgres;

/// <summary>Metrics storage, retention, rollups and ingestion (section <c>ChatOps:Postgres:Metrics</c>).</summary>
public sealed class PostgresMetricsOptions
{
    /// <summary>
    /// Read once, when the metrics migration runs: which storage backs <c>metric_samples</c>.
    /// Changing it later has no effect on an existing database.
    /// </summary>
    public TimescaleMode Timescale { get; set; } = TimescaleMode.Auto;

    /// <summary>How long raw samples and 1-minute rollups are kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long 1-hour rollups are kept (charts beyond <see cref="Retention"/> use them).</summary>
    public TimeSpan HourlyRetention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>TimescaleDB only: chunks older than this are compressed.</summary>
    public TimeSpan CompressAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Plain partitioning only: how far ahead daily partitions are created.</summary>
    public TimeSpan PartitionsAhead { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Rollups are recomputed for buckets that finished less than this long ago, so samples that
    /// arrive late (agent reconnects, bus redelivery) still count. Later arrivals stay raw-only.
    /// </summary>
    public TimeSpan LateDataWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The ingestor flushes when this many samples are buffered.</summary>
    public int IngestBatchSize { get; set; } = 5000;

    /// <summary>The ingestor flushes a partial batch once its oldest sample has waited this long.</summary>
    public TimeSpan IngestFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Samples the ingestor holds at most (buffered plus in flight); enqueuing beyond waits.</summary>
    public int IngestBufferCapacity { get; set; } = 50_000;

    /// <summary>
    /// Full batches stored at once, each over its own connection. PostgreSQL spends most of a COPY
    /// maintaining the primary key, one core per connection, so two overlap well; the buffer bound and
    /// the "stored" promise (everything enqueued before a flush) hold across them.
    /// </summary>
    public int IngestParallelFlushes { get; set; } = 2;

    /// <summary>The pause after a failed flush; doubles per failure up to <see cref="IngestRetryMaxDelay"/>.</summary>
    public TimeSpan IngestRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan IngestRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    internal IEnumerable<string> Validate(string prefix)
    {
        if (!Enum.IsDefined(Timescale))
        {
            yield return $"{prefix}:Timescale must be Auto, Disabled or Required, not {Timescale}";
        }

        if (Retention < TimeSpan.FromDays(1))
        {
            yield return $"{prefix}:Retention must be at least 1 day (partitions are daily), not {Retention}";
        }

        if (HourlyRetention < Retention)
        {
            yield return $"{prefix}:HourlyRetention ({HourlyRetention}) must be at least Retention ({Retention})";
        }

        if (CompressAfter < TimeSpan.FromHours(1))
        {
            yield return $"{prefix}:CompressAfter must be at least 1 hour, not {CompressAfter}";
        }

        if (PartitionsAhead < TimeSpan.FromDays(1) || PartitionsAhead > TimeSpan.FromDays(60))
        {
            yield return $"{prefix}:PartitionsAhead must be between 1 and 60 days, not {PartitionsAhead}";
        }

        if (LateDataWindow < TimeSpan.Zero || LateDataWindow >= Retention)
        {
            yield return $"{prefix}:LateDataWindow must be between 0 and Retention, not {LateDataWindow}";
        }

        if (IngestBatchSize is < 1 or > 1_000_000)
        {
            yield return $"{prefix}:IngestBatchSize must be between 1 and 1000000, not {IngestBatchSize}";
        }

        if (IngestFlushInterval <= TimeSpan.Zero || IngestFlushInterval > TimeSpan.FromMinutes(10))
        {
            yield return $"{prefix}:IngestFlushInterval must be a positive duration up to 10 minutes, not {IngestFlushInterval}";
        }

        if (IngestBufferCapacity < IngestBatchSize)
        {
            yield return $"{prefix}:IngestBufferCapacity ({IngestBufferCapacity}) must be at least IngestBatchSize ({IngestBatchSize})";
        }

        if (IngestParallelFlushes is < 1 or > 16)
        {
            yield return $"{prefix}:IngestParallelFlushes must be between 1 and 16, not {IngestParallelFlushes}";
        }

        if (IngestRetryDelay <= TimeSpan.Zero || IngestRetryMaxDelay < IngestRetryDelay)
        {
            yield return $"{prefix}:IngestRetryDelay must be positive and IngestRetryMaxDelay at least as long, not {IngestRetryDelay} and {IngestRetryMaxDelay}";
        }
    }
}
