using System.Collections.Concurrent;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

/// <summary>
/// Metric samples in <c>metric_samples</c>, written with binary COPY, read at raw, 1-minute or
/// 1-hour resolution. The same code serves both backends (<see cref="MetricsBackend"/>).
/// </summary>
/// <remarks>
/// <para>
/// A query's labels narrow the series by containment: <c>mount=/</c> matches every series
/// whose labels include it, and no labels match all series of the metric. Samples of the matched
/// series that fall in the same instant (raw) or bucket (rolled up) are combined into one point:
/// average, min, max and count over all of them. A single series at raw resolution so has
/// Min = Max = Avg and Count = 1.
/// </para>
/// <para>
/// The window is [From, To): raw samples with From &lt;= at &lt; To; rolled-up buckets whose start
/// lies in [floor(From), To), each complete. With plain partitioning, buckets the rollup job has
/// not reached yet are aggregated from raw samples at query time, so charts are never behind.
/// Queries read from the read replica when one is configured.
/// </para>
/// </remarks>
public sealed class PostgresMetricsStore(PostgresDataSources dataSources) : IMetricsStore
{
    /// <summary>Windows up to this long are answered from raw samples (Auto).</summary>
    public static readonly TimeSpan RawUpTo = TimeSpan.FromHours(6);

    /// <summary>Windows up to this long are answered from 1-minute buckets (Auto); longer ones from 1-hour buckets.</summary>
    public static readonly TimeSpan MinuteUpTo = TimeSpan.FromDays(7);

    private const string Origin = "TIMESTAMPTZ '2000-01-01 00:00:00+00'";

    private const string CopyColumns = "(server_id, name, labels, at, value)";

    // Days whose partition is known to exist; a miss (or a partition dropped since) costs one
    // catalog round trip under the partition lock.
    private readonly ConcurrentDictionary<DateOnly, bool> _knownPartitions = new();

    /// <summary>How a batch reaches the table; see <see cref="MetricsCopyMode"/>.</summary>
    internal MetricsCopyMode CopyMode { get; init; } = MetricsCopyMode.DirectThenStaging;

    /// <summary>Stores the batch, all of it or nothing; samples stored before are skipped, not doubled.</summary>
    /// <exception cref="ArgumentException">A snapshot is incomplete or holds a non-finite value; nothing was stored.</exception>
    public async Task AppendAsync(IReadOnlyList<MetricSnapshot> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var rows = MetricRow.From(batch);
        if (rows.Count == 0)
        {
            return;
        }

        var backend = await dataSources.GetMetricsBackendAsync(cancellationToken);
        if (backend == MetricsBackend.Partitioned)
        {
            await EnsurePartitionsAsync(rows, cancellationToken);
        }

        try
        {
            await WriteAsync(rows, cancellationToken);
        }
        catch (PostgresException ex) when (backend == MetricsBackend.Partitioned && ex.SqlState == PostgresErrors.CheckViolation)
        {
            // "no partition found for row": retention dropped a day we thought existed. Look again.
            _knownPartitions.Clear();
            await EnsurePartitionsAsync(rows, cancellationToken);
            await WriteAsync(rows, cancellationToken);
        }
    }

    /// <exception cref="ArgumentException">The query is incomplete or its window is empty.</exception>
    public async Task<MetricSeries> QueryAsync(MetricQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(query.ServerId, nameof(query));
        ArgumentException.ThrowIfNullOrWhiteSpace(query.Name, nameof(query));
        if (query.To <= query.From)
        {
            throw new ArgumentException($"the window of a metric query must end after it starts ({query.From:O} .. {query.To:O})", nameof(query));
        }

        var resolution = Resolve(query);
        var parameters = new DynamicParameters();
        parameters.Add("serverId", query.ServerId);
        parameters.Add("name", query.Name);
        parameters.Add("labels", PostgresJson.FromLabels(query.Labels));

        if (resolution == MetricResolution.Raw)
        {
            parameters.Add("from", PostgresTime.ToDb(query.From));
            parameters.Add("to", PostgresTime.ToDb(query.To));
            return new MetricSeries(resolution, await QueryPointsAsync(
                """
                SELECT at AS At, avg(value) AS Avg, min(value) AS Min, max(value) AS Max, count(*) AS Count
                FROM metric_samples
                WHERE server_id = @serverId AND name = @name AND at >= @from AND at < @to AND labels @> @labels::jsonb
                GROUP BY at ORDER BY at
                """,
                parameters,
                cancellationToken));
        }

        var (table, size, sqlSize) = resolution == MetricResolution.Minute
            ? ("metric_1m", TimeSpan.FromMinutes(1), "INTERVAL '1 minute'")
            : ("metric_1h", TimeSpan.FromHours(1), "INTERVAL '1 hour'");
        var fromBucket = PostgresTime.Floor(query.From, size);
        var toBucket = PostgresTime.Ceiling(query.To, size);
        parameters.Add("fromBucket", PostgresTime.ToDb(fromBucket));
        parameters.Add("toBucket", PostgresTime.ToDb(toBucket));

        if (await dataSources.GetMetricsBackendAsync(cancellationToken) == MetricsBackend.TimescaleDb)
        {
            // Continuous aggregates with materialized_only = false already add the recent tail.
            return new MetricSeries(resolution, await QueryPointsAsync(
                $"""
                SELECT bucket AS At, sum(value_sum) / sum(value_count)::double precision AS Avg, min(value_min) AS Min,
                       max(value_max) AS Max, sum(value_count)::bigint AS Count
                FROM {table}
                WHERE server_id = @serverId AND name = @name AND bucket >= @fromBucket AND bucket < @toBucket AND labels @> @labels::jsonb
                GROUP BY bucket ORDER BY bucket
                """,
                parameters,
                cancellationToken));
        }

        // Rolled-up buckets before the job's watermark, raw samples aggregated on the fly after it.
        parameters.Add("resolution", resolution == MetricResolution.Minute ? "1m" : "1h");
        return new MetricSeries(resolution, await QueryPointsAsync(
            $"""
            WITH mark AS (
                SELECT COALESCE((SELECT rolled_up_to FROM metric_rollup_state WHERE resolution = @resolution), @fromBucket) AS rolled_up_to
            ), parts AS (
                SELECT r.bucket, r.value_sum, r.value_count, r.value_min, r.value_max
                FROM {table} r, mark
                WHERE r.server_id = @serverId AND r.name = @name AND r.labels @> @labels::jsonb
                  AND r.bucket >= @fromBucket AND r.bucket < LEAST(@toBucket, mark.rolled_up_to)
                UNION ALL
                SELECT date_bin({sqlSize}, s.at, {Origin}), sum(s.value), count(*), min(s.value), max(s.value)
                FROM metric_samples s, mark
                WHERE s.server_id = @serverId AND s.name = @name AND s.labels @> @labels::jsonb
                  AND s.at >= GREATEST(@fromBucket, mark.rolled_up_to) AND s.at < @toBucket
                GROUP BY 1
            )
            SELECT bucket AS At, sum(value_sum) / sum(value_count)::double precision AS Avg, min(value_min) AS Min,
                   max(value_max) AS Max, sum(value_count)::bigint AS Count
            FROM parts GROUP BY bucket ORDER BY bucket
            """,
            parameters,
            cancellationToken));
    }

    /// <summary>The resolution a query is answered at: its own, or by the window's length for Auto.</summary>
    public static MetricResolution Resolve(MetricQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.Resolution switch
        {
            MetricResolution.Auto => (query.To - query.From) switch
            {
                var window when window <= RawUpTo => MetricResolution.Raw,
                var window when window <= MinuteUpTo => MetricResolution.Minute,
                _ => MetricResolution.Hour,
            },
            MetricResolution.Raw or MetricResolution.Minute or MetricResolution.Hour => query.Resolution,
            _ => throw new ArgumentException($"unknown metric resolution {query.Resolution}", nameof(query)),
        };
    }

    private async Task<IReadOnlyList<MetricPoint>> QueryPointsAsync(string sql, DynamicParameters parameters, CancellationToken cancellationToken) =>
        await dataSources.RunAsync<IReadOnlyList<MetricPoint>>(async connection =>
        {
            var rows = await connection.QueryAsync<PointRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return rows.Select(row => new MetricPoint(PostgresTime.FromDb(row.At), row.Avg, row.Min, row.Max, row.Count)).ToList();
        }, RetryPolicy.Idempotent, cancellationToken, onReadSource: true);

    private async Task EnsurePartitionsAsync(List<MetricRow> rows, CancellationToken cancellationToken)
    {
        var missing = rows.Select(row => DateOnly.FromDateTime(row.At)).Distinct().Where(day => !_knownPartitions.ContainsKey(day)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        await MetricPartitions.EnsureAsync(dataSources, missing, cancellationToken);
        foreach (var day in missing)
        {
            _knownPartitions[day] = true;
        }
    }

    private Task WriteAsync(List<MetricRow> rows, CancellationToken cancellationToken) =>
        // Idempotent: a repeat finds the rows of the first attempt and skips them.
        dataSources.RunAsync(async connection =>
        {
            if (CopyMode == MetricsCopyMode.DirectThenStaging)
            {
                try
                {
                    // One COPY is one statement, so all or nothing even without a transaction.
                    await MetricCopyWriter.CopyAsync(connection, "metric_samples", rows, cancellationToken);
                    return true;
                }
                catch (PostgresException ex) when (PostgresErrors.IsUniqueViolation(ex))
                {
                    // Some of these samples are stored already (a redelivered batch): fall through.
                }
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "CREATE TEMP TABLE metric_samples_staging (LIKE metric_samples INCLUDING DEFAULTS) ON COMMIT DROP",
                transaction: transaction,
                cancellationToken: cancellationToken));
            await MetricCopyWriter.CopyAsync(connection, "metric_samples_staging", rows, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO metric_samples {CopyColumns} SELECT server_id, name, labels, at, value FROM metric_samples_staging ON CONFLICT DO NOTHING",
                transaction: transaction,
                cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return true;
        }, RetryPolicy.Idempotent, cancellationToken);

    private sealed class PointRow
    {
        public DateTime At { get; init; }
        public double Avg { get; init; }
        public double Min { get; init; }
        public double Max { get; init; }
        public long Count { get; init; }
    }
}
