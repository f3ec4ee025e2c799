using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Quartz;

namespace ChatOps.Postgres;

public static class PostgresStoreExtensions
{
    /// <summary>
    /// The PostgreSQL store (<c>ChatOps:Store=postgres</c>): the six store ports, the five alerting
    /// store ports (<see cref="IAlertStore"/>, <see cref="IAlertRuleStore"/>, <see cref="ISilenceStore"/>,
    /// <see cref="INotificationLedger"/>, <see cref="INotificationOutbox"/>), the three access ports
    /// (<see cref="IPolicyStore"/>, <see cref="IApprovalStore"/>, <see cref="IUserAccountStore"/>) and
    /// <see cref="IMetricsStore"/> as singletons over pooled <see cref="PostgresDataSources"/>, the
    /// <see cref="PostgresMetricsIngestor"/>, <see cref="PostgresMetricsMaintenance"/>,
    /// <see cref="PostgresHealthProbe"/>, and a hosted service that migrates the schema at
    /// start-up (before the hosted services registered after it start). Options are validated at
    /// start-up, every failure naming its <c>ChatOps:Postgres:...</c> key. Registering twice is
    /// harmless; the first registration of each port wins. The metrics jobs are scheduled by the
    /// host's Quartz set-up with <see cref="AddPostgresMetricsJobs"/>.
    /// </summary>
    /// <param name="configure">Sets the options, e.g. <c>o => configuration.GetSection(PostgresStoreOptions.SectionName).Bind(o)</c>.</param>
    public static IServiceCollection AddPostgresStore(this IServiceCollection services, Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<PostgresStoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStoreOptions>, PostgresStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PostgresDataSources(
            sp.GetRequiredService<IOptions<PostgresStoreOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton(sp => new PostgresMigrator(sp.GetRequiredService<PostgresDataSources>(), sp.GetRequiredService<TimeProvider>()));

        services.TryAddSingleton<IServerStore>(sp => new PostgresServerStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<IAgentCredentialStore>(sp => new PostgresAgentCredentialStore(
            sp.GetRequiredService<PostgresDataSources>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICommandStore>(sp => new PostgresCommandStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<IAuditStore>(sp => new PostgresAuditStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<IUserStore>(sp => new PostgresUserStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<IChatThreadStore>(sp => new PostgresChatThreadStore(sp.GetRequiredService<PostgresDataSources>()));

        services.TryAddSingleton<IAlertStore>(sp => new PostgresAlertStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<IAlertRuleStore>(sp => new PostgresAlertRuleStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<ISilenceStore>(sp => new PostgresSilenceStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<INotificationLedger>(sp => new PostgresNotificationLedger(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<INotificationOutbox>(sp => new PostgresNotificationOutbox(sp.GetRequiredService<PostgresDataSources>()));

        services.TryAddSingleton<IPolicyStore>(sp => new PostgresPolicyStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<IApprovalStore>(sp => new PostgresApprovalStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton<IUserAccountStore>(sp => new PostgresUserAccountStore(sp.GetRequiredService<PostgresDataSources>()));

        services.TryAddSingleton<IMetricsStore>(sp => new PostgresMetricsStore(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton(sp => new PostgresMetricsMaintenance(sp.GetRequiredService<PostgresDataSources>()));
        services.TryAddSingleton(sp => new PostgresMetricsIngestor(
            sp.GetRequiredService<IMetricsStore>(),
            sp.GetRequiredService<IOptions<PostgresStoreOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<PostgresMetricsIngestor>>()));
        services.TryAddSingleton(sp => new PostgresHealthProbe(sp.GetRequiredService<PostgresDataSources>(), sp.GetRequiredService<PostgresMigrator>()));

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgresMigrationHostedService>(sp => new PostgresMigrationHostedService(
            sp.GetRequiredService<PostgresMigrator>(),
            sp.GetRequiredService<PostgresMetricsMaintenance>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<PostgresMigrationHostedService>>() ?? NullLogger<PostgresMigrationHostedService>.Instance)));

        // Stopping the host stores what the ingestor still buffers.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgresMetricsIngestor>(sp => sp.GetRequiredService<PostgresMetricsIngestor>()));
        return services;
    }

    /// <summary>
    /// Schedules the metrics maintenance on the host's Quartz scheduler: partitions ahead (at
    /// start, then hourly), rollups (every minute) and retention (hourly). Needs
    /// <see cref="AddPostgresStore"/>. Each job is harmless on several replicas at once (advisory
    /// locks), and does nothing with TimescaleDB, whose own policies do the work.
    /// </summary>
    /// <example><c>services.AddQuartz(q => q.AddPostgresMetricsJobs());</c></example>
    public static IQuartzBuilder AddPostgresMetricsJobs(this IQuartzBuilder quartz, PostgresMetricsJobIntervals? intervals = null)
    {
        ArgumentNullException.ThrowIfNull(quartz);
        intervals ??= new PostgresMetricsJobIntervals();
        intervals.Validate();

        quartz.ScheduleJob<MetricsPartitionJob>(trigger => trigger
            .WithIdentity(nameof(MetricsPartitionJob), JobGroup)
            .StartNow()
            .WithSimpleSchedule(schedule => schedule.WithInterval(intervals.Partitions).RepeatForever()));
        quartz.ScheduleJob<MetricsRollupJob>(trigger => trigger
            .WithIdentity(nameof(MetricsRollupJob), JobGroup)
            .StartNow()
            .WithSimpleSchedule(schedule => schedule.WithInterval(intervals.Rollup).RepeatForever()));
        quartz.ScheduleJob<MetricsRetentionJob>(trigger => trigger
            .WithIdentity(nameof(MetricsRetentionJob), JobGroup)
            .StartNow()
            .WithSimpleSchedule(schedule => schedule.WithInterval(intervals.Retention).RepeatForever()));
        return quartz;
    }

    /// <summary>The Quartz group of the metrics jobs.</summary>
    public const string JobGroup = "chatops-postgres-metrics";
}
