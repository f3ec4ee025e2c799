using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOps.Postgres;

/// <summary>
/// Migrates the schema in <see cref="StartAsync"/> (so the host serves nothing before the schema
/// exists), then prepares metrics storage: today's and the coming partitions, or the TimescaleDB
/// policies. A failure stops start-up.
/// </summary>
public sealed partial class PostgresMigrationHostedService(
    PostgresMigrator migrator,
    PostgresMetricsMaintenance maintenance,
    TimeProvider timeProvider,
    ILogger<PostgresMigrationHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await migrator.MigrateAsync(cancellationToken);
        if (applied.Count == 0)
        {
            LogCurrent(logger, migrator.LatestVersion);
        }

        foreach (var migration in applied)
        {
            LogApplied(logger, migration.Version, migration.Name);
        }

        await maintenance.PrepareAsync(timeProvider.GetUtcNow(), cancellationToken);
        LogMetricsBackend(logger, await maintenance.GetBackendAsync(cancellationToken));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL store: schema is current (version {Version:D3})")]
    private static partial void LogCurrent(ILogger logger, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL store: applied migration {Version:D3} {Name}")]
    private static partial void LogApplied(ILogger logger, int version, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL store: metrics are stored with {Backend}")]
    private static partial void LogMetricsBackend(ILogger logger, MetricsBackend backend);
}
