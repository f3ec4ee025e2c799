namespace ChatOps.Postgres;

/// <summary>How often the metrics jobs run.</summary>
public sealed class PostgresMetricsJobIntervals
{
    public TimeSpan Partitions { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Also how far rolled-up charts may lag behind raw data before the query falls back to raw samples.</summary>
    public TimeSpan Rollup { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);

    internal void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(Partitions), Partitions), (nameof(Rollup), Rollup), (nameof(Retention), Retention) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"the {name} job interval must be positive, not {value}");
            }
        }
    }
}
