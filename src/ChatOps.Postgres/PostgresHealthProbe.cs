using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

/// <summary>
/// For <c>/readyz</c>: the primary answers and its schema is at this build's version, and the read
/// replica (when configured) answers. Never throws for a failing server: it says so.
/// </summary>
public sealed class PostgresHealthProbe(PostgresDataSources dataSources, PostgresMigrator migrator)
{
    public async Task<PostgresHealth> CheckAsync(CancellationToken cancellationToken = default)
    {
        var checks = new Dictionary<string, string>(StringComparer.Ordinal);
        checks["postgres"] = await CheckAsync(async () =>
        {
            var versions = await migrator.GetAppliedVersionsAsync(cancellationToken);
            var version = versions.Count == 0 ? 0 : versions[^1];
            return version >= migrator.LatestVersion
                ? "ok"
                : $"schema at version {version}, this build needs {migrator.LatestVersion} (migrations pending)";
        });

        if (dataSources.HasReadReplica)
        {
            checks["postgres-replica"] = await CheckAsync(() => dataSources.RunAsync(async connection =>
            {
                await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
                return "ok";
            }, RetryPolicy.Idempotent, cancellationToken, onReadSource: true));
        }

        return new PostgresHealth(checks.Values.All(value => value == "ok"), checks);
    }

    private static async Task<string> CheckAsync(Func<Task<string>> check)
    {
        try
        {
            return await check();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return "failing: " + ex.Message;
        }
    }
}
