using Quartz;

namespace ChatOps.Postgres;

/// <summary>Drops metric partitions and rollup buckets past retention (see <see cref="PostgresMetricsMaintenance.ApplyRetentionAsync"/>).</summary>
[DisallowConcurrentExecution]
public sealed class MetricsRetentionJob(PostgresMetricsMaintenance maintenance, TimeProvider timeProvider) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await maintenance.ApplyRetentionAsync(timeProvider.GetUtcNow(), cancellationToken);
}
