using Quartz;

namespace ChatOps.Postgres;

/// <summary>Creates the coming daily partitions of <c>metric_samples</c> (see <see cref="PostgresMetricsMaintenance.EnsurePartitionsAsync"/>).</summary>
[DisallowConcurrentExecution]
public sealed class MetricsPartitionJob(PostgresMetricsMaintenance maintenance, TimeProvider timeProvider) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await maintenance.EnsurePartitionsAsync(timeProvider.GetUtcNow(), cancellationToken);
}
