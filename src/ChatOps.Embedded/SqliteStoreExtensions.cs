using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Sqlite.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOps.Embedded;

public static class SqliteStoreExtensions
{
    /// <summary>
    /// The embedded store: every store port (including alerting's) on one SQLite file, and a hosted service that
    /// migrates the schema at start-up (before the hosted services registered after it start).
    /// Registering twice is harmless; the first registration of each port wins.
    /// </summary>
    /// <param name="configure">Sets <see cref="SqliteStoreOptions"/>, e.g. the path from <c>ChatOps:Sqlite:Path</c>.</param>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var options = services.AddOptions<SqliteStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SqliteConnectionFactory(sp.GetRequiredService<IOptions<SqliteStoreOptions>>()) { Meter = sp.GetService<ChatOpsMeter>() });
        services.TryAddSingleton(sp => new SqliteMigrator(sp.GetRequiredService<SqliteConnectionFactory>(), sp.GetRequiredService<TimeProvider>()));

        services.TryAddSingleton<IServerStore>(sp => new SqliteServerStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IAgentCredentialStore>(sp => new SqliteAgentCredentialStore(
            sp.GetRequiredService<SqliteConnectionFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICommandStore>(sp => new SqliteCommandStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IAuditStore>(sp => new SqliteAuditStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IUserStore>(sp => new SqliteUserStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IChatThreadStore>(sp => new SqliteChatThreadStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IAlertStore>(sp => new SqliteAlertStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IAlertRuleStore>(sp => new SqliteAlertRuleStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<ISilenceStore>(sp => new SqliteSilenceStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<INotificationLedger>(sp => new SqliteNotificationLedger(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<INotificationOutbox>(sp => new SqliteNotificationOutbox(sp.GetRequiredService<SqliteConnectionFactory>()));

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqliteMigrationHostedService>(sp => new SqliteMigrationHostedService(
            sp.GetRequiredService<SqliteMigrator>(),
            sp.GetRequiredService<SqliteConnectionFactory>(),
            sp.GetService<ILogger<SqliteMigrationHostedService>>() ?? NullLogger<SqliteMigrationHostedService>.Instance)));
        return services;
    }
}
