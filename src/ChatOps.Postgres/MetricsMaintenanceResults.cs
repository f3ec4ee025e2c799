namespace ChatOps.Postgres;

/// <summary>What one partition run did: the daily partitions it created (none with TimescaleDB).</summary>
public sealed record MetricsPartitionResult(IReadOnlyList<string> Created);

/// <summary>
/// What one rollup run did. <see cref="Ran"/> is false when another replica held the rollup
/// lock (or with TimescaleDB, whose continuous aggregates need no job).
/// </summary>
public sealed record MetricsRollupResult(bool Ran, DateTimeOffset? MinuteRolledUpTo, DateTimeOffset? HourRolledUpTo, long MinuteRowsWritten, long HourRowsWritten);

/// <summary>What one retention run removed (nothing with TimescaleDB, whose retention policies do it).</summary>
public sealed record MetricsRetentionResult(IReadOnlyList<string> DroppedPartitions, long MinuteRowsDeleted, long HourRowsDeleted);
