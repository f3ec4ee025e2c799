using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Embedded;

public static class SqliteAccessStoreExtensions
{
    /// <summary>
    /// The SQLite policy, approval and account stores (schema version 4), on the file of
    /// <see cref="SqliteStoreExtensions.AddSqliteStore"/>, which must be registered too.
    /// Registering twice is harmless.
    /// </summary>
    public static IServiceCollection AddSqliteAccessStores(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IPolicyStore>(sp => new SqlitePolicyStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IApprovalStore>(sp => new SqliteApprovalStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        services.TryAddSingleton<IUserAccountStore>(sp => new SqliteUserAccountStore(sp.GetRequiredService<SqliteConnectionFactory>()));
        return services;
    }
}
