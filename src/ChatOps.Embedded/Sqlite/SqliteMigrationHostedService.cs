using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.Sqlite;

/// <summary>
/// Migrates the database in <see cref="StartAsync"/>, so the host does not start serving (or
/// start later hosted services) before the schema exists. A failure stops start-up.
/// </summary>
public sealed partial class SqliteMigrationHostedService(
    SqliteMigrator migrator,
    SqliteConnectionFactory connections,
    ILogger<SqliteMigrationHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await migrator.MigrateAsync(cancellationToken);
        if (applied.Count == 0)
        {
            LogCurrent(logger, connections.DatabasePath);
        }

        foreach (var migration in applied)
        {
            LogApplied(logger, migration.Version, migration.Name, connections.DatabasePath);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite store {Path}: schema is current")]
    private static partial void LogCurrent(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite store {Path}: applied migration {Version:D3} {Name}")]
    private static partial void LogApplied(ILogger logger, int version, string name, string path);
}
