using System.Globalization;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres.Internal;

/// <summary>
/// The daily partitions of <c>metric_samples</c> (plain partitioning). DDL on them runs under one
/// advisory lock per schema, so replicas and the ingestion path never race on CREATE or DROP.
/// </summary>
internal static class MetricPartitions
{
    public static async Task<IReadOnlyList<string>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'metric_samples'::regclass ORDER BY c.relname
            """,
            transaction: transaction,
            cancellationToken: cancellationToken))).ToList();

    /// <summary>Takes the partition DDL lock for the rest of the transaction.</summary>
    public static async Task LockAsync(PostgresDataSources dataSources, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var schema = await dataSources.GetEffectiveSchemaAsync(connection, transaction, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(@key)",
            new { key = PostgresNames.LockKey("metric-partitions", schema) },
            transaction,
            cancellationToken: cancellationToken));
    }

    /// <summary>Creates the partitions of <paramref name="days"/> that do not exist yet; returns their names.</summary>
    public static async Task<IReadOnlyList<string>> EnsureAsync(
        PostgresDataSources dataSources, IEnumerable<DateOnly> days, CancellationToken cancellationToken) =>
        await dataSources.InTransactionAsync<IReadOnlyList<string>>(async (connection, transaction) =>
        {
            await LockAsync(dataSources, connection, transaction, cancellationToken);
            var existing = (await ListAsync(connection, transaction, cancellationToken)).ToHashSet(StringComparer.Ordinal);
            var created = new List<string>();
            foreach (var day in days.Distinct().Order())
            {
                var name = PostgresNames.PartitionName(day);
                if (existing.Contains(name))
                {
                    continue;
                }

                // DDL takes no parameters; the bounds are formatted from dates, the name from digits.
                await connection.ExecuteAsync(new CommandDefinition(
                    $"CREATE TABLE {name} PARTITION OF metric_samples FOR VALUES FROM ('{Literal(day)}') TO ('{Literal(day.AddDays(1))}')",
                    transaction: transaction,
                    cancellationToken: cancellationToken));
                created.Add(name);
            }

            return created;
        }, RetryPolicy.Idempotent, cancellationToken);

    private static string Literal(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00+00";
}
