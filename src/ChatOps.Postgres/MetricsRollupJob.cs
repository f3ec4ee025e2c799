using Quartz;

namespace ChatOps.Postgres;

/// <summary>Rolls finished buckets up into <c>metric_1m</c> and <c>metric_1h</c> (see <see cref="PostgresMetricsMaintenance.RollupAsync"/>).</summary>
[DisallowConcurrentExecution]
public sealed class MetricsRollupJob(PostgresMetricsMaintenance maintenance, TimeProvider timeProvider) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await maintenance.RollupAsync(timeProvider.GetUtcNow(), cancellationToken);
}
