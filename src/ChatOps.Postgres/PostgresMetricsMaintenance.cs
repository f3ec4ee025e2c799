using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

/// <summary>
/// The metrics housekeeping, one plain method per Quartz job (<see cref="MetricsPartitionJob"/>,
/// <see cref="MetricsRollupJob"/>, <see cref="MetricsRetentionJob"/>), each given "now" so tests
/// choose it. With plain partitioning they create partitions ahead, roll up finished buckets and
/// drop what is past retention; with TimescaleDB, its own policies do all that and these return at
/// once (after <see cref="PrepareAsync"/> has set the policies up).
/// Every method is safe to run on several replicas at once.
/// </summary>
public sealed class PostgresMetricsMaintenance(PostgresDataSources dataSources)
{
    private const string Origin = "TIMESTAMPTZ '2000-01-01 00:00:00+00'";

    // Bounds each rollup statement (and its transaction) after a long pause of the job.
    private static readonly TimeSpan MinuteChunk = TimeSpan.FromDays(1);
    private static readonly TimeSpan HourChunk = TimeSpan.FromDays(7);

    private PostgresMetricsOptions Options => dataSources.Options.Metrics;

    public Task<MetricsBackend> GetBackendAsync(CancellationToken cancellationToken = default) =>
        dataSources.GetMetricsBackendAsync(cancellationToken);

    /// <summary>
    /// At start-up, after migrating: creates today's and the coming partitions (plain), or sets
    /// the TimescaleDB retention, compression and refresh policies from the options.
    /// </summary>
    public async Task PrepareAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (await GetBackendAsync(cancellationToken) == MetricsBackend.TimescaleDb)
        {
            await ApplyTimescalePoliciesAsync(cancellationToken);
        }
        else
        {
            await EnsurePartitionsAsync(now, cancellationToken);
        }
    }

    /// <summary>Creates the daily partitions from the day of <paramref name="now"/> to <see cref="PostgresMetricsOptions.PartitionsAhead"/> later.</summary>
    public async Task<MetricsPartitionResult> EnsurePartitionsAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (await GetBackendAsync(cancellationToken) == MetricsBackend.TimescaleDb)
        {
            return new MetricsPartitionResult([]);
        }

        var today = PostgresTime.Day(now);
        var last = PostgresTime.Day(now + Options.PartitionsAhead);
        var days = Enumerable.Range(0, last.DayNumber - today.DayNumber + 1).Select(today.AddDays);
        return new MetricsPartitionResult(await MetricPartitions.EnsureAsync(dataSources, days, cancellationToken));
    }

    /// <summary>
    /// Drops the daily partitions that ended at least <see cref="PostgresMetricsOptions.Retention"/>
    /// before <paramref name="now"/> (whole days: raw data lives up to a day longer), and deletes
    /// older 1-minute buckets and 1-hour buckets older than <see cref="PostgresMetricsOptions.HourlyRetention"/>.
    /// </summary>
    public async Task<MetricsRetentionResult> ApplyRetentionAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (await GetBackendAsync(cancellationToken) == MetricsBackend.TimescaleDb)
        {
            return new MetricsRetentionResult([], 0, 0);
        }

        var rawCutoff = now - Options.Retention;
        var hourCutoff = now - Options.HourlyRetention;
        return await dataSources.InTransactionAsync(async (connection, transaction) =>
        {
            await MetricPartitions.LockAsync(dataSources, connection, transaction, cancellationToken);
            var dropped = new List<string>();
            foreach (var name in await MetricPartitions.ListAsync(connection, transaction, cancellationToken))
            {
                if (PostgresNames.PartitionDay(name) is { } day && PostgresTime.StartOf(day.AddDays(1)) <= rawCutoff)
                {
                    await connection.ExecuteAsync(new CommandDefinition($"DROP TABLE {name}", transaction: transaction, cancellationToken: cancellationToken));
                    dropped.Add(name);
                }
            }

            var minuteRows = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM metric_1m WHERE bucket < @cutoff", new { cutoff = PostgresTime.ToDb(rawCutoff) }, transaction, cancellationToken: cancellationToken));
            var hourRows = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM metric_1h WHERE bucket < @cutoff", new { cutoff = PostgresTime.ToDb(hourCutoff) }, transaction, cancellationToken: cancellationToken));
            return new MetricsRetentionResult(dropped, minuteRows, hourRows);
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    /// <summary>
    /// Aggregates the finished 1-minute buckets (those ending at or before <paramref name="now"/>)
    /// from raw samples, then the finished 1-hour buckets from the 1-minute ones, upserting each
    /// bucket. Buckets that finished within <see cref="PostgresMetricsOptions.LateDataWindow"/>
    /// are computed again, so late samples still count; rerunning changes nothing.
    /// </summary>
    public async Task<MetricsRollupResult> RollupAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (await GetBackendAsync(cancellationToken) == MetricsBackend.TimescaleDb)
        {
            return new MetricsRollupResult(false, null, null, 0, 0);
        }

        var state = await ReadRollupStateAsync(cancellationToken);
        var minuteEnd = PostgresTime.Floor(now, TimeSpan.FromMinutes(1));
        var minuteStart = state.Minute is { } minuteMark
            ? PostgresTime.Floor(Min(minuteMark, minuteEnd) - Options.LateDataWindow, TimeSpan.FromMinutes(1))
            : await FirstBucketAsync("metric_samples", "at", now - Options.Retention, TimeSpan.FromMinutes(1), cancellationToken) ?? minuteEnd;

        long minuteRows = 0;
        foreach (var (from, to) in Chunks(minuteStart, minuteEnd, MinuteChunk))
        {
            var written = await RollupChunkAsync(MinuteSql, "1m", from, to, cancellationToken);
            if (written is null)
            {
                return new MetricsRollupResult(false, state.Minute, state.Hour, minuteRows, 0);
            }

            minuteRows += written.Value;
        }

        var minuteMarkNow = Max(state.Minute, minuteStart < minuteEnd ? minuteEnd : null);
        if (minuteMarkNow is null)
        {
            return new MetricsRollupResult(true, null, state.Hour, minuteRows, 0);
        }

        var hourEnd = PostgresTime.Floor(minuteMarkNow.Value, TimeSpan.FromHours(1));
        var hourStart = state.Hour is { } hourMark
            ? PostgresTime.Floor(Min(hourMark, hourEnd) - Options.LateDataWindow, TimeSpan.FromHours(1))
            : await FirstBucketAsync("metric_1m", "bucket", now - Options.HourlyRetention, TimeSpan.FromHours(1), cancellationToken) ?? hourEnd;

        long hourRows = 0;
        foreach (var (from, to) in Chunks(hourStart, hourEnd, HourChunk))
        {
            var written = await RollupChunkAsync(HourSql, "1h", from, to, cancellationToken);
            if (written is null)
            {
                return new MetricsRollupResult(false, minuteMarkNow, state.Hour, minuteRows, hourRows);
            }

            hourRows += written.Value;
        }

        return new MetricsRollupResult(true, minuteMarkNow, Max(state.Hour, hourStart < hourEnd ? hourEnd : null), minuteRows, hourRows);
    }

    /// <summary>TimescaleDB: (re)sets retention, compression and continuous-aggregate refresh policies from the options.</summary>
    public async Task ApplyTimescalePoliciesAsync(CancellationToken cancellationToken = default)
    {
        if (await GetBackendAsync(cancellationToken) != MetricsBackend.TimescaleDb)
        {
            return;
        }

        await dataSources.InTransactionAsync(async (connection, transaction) =>
        {
            var ts = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb'",
                transaction: transaction,
                cancellationToken: cancellationToken))
                ?? throw new InvalidOperationException("metric_samples is a TimescaleDB hypertable, but the timescaledb extension is gone");

            // Refreshing must stay inside the raw retention, or a refresh would empty the buckets of dropped chunks.
            var late = Options.LateDataWindow;
            var statements = new (string Sql, object? Parameters)[]
            {
                ($"SELECT {ts}.remove_retention_policy('metric_samples', true)", null),
                ($"SELECT {ts}.add_retention_policy('metric_samples', drop_after => @retention::interval)", new { retention = Options.Retention }),
                ($"SELECT {ts}.remove_compression_policy('metric_samples', true)", null),
                ($"SELECT {ts}.add_compression_policy('metric_samples', compress_after => @compressAfter::interval)", new { compressAfter = Options.CompressAfter }),
                ($"SELECT {ts}.remove_continuous_aggregate_policy('metric_1m', true)", null),
                ($"SELECT {ts}.add_continuous_aggregate_policy('metric_1m', start_offset => @start::interval, end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute')",
                    new { start = late + TimeSpan.FromMinutes(5) }),
                ($"SELECT {ts}.remove_continuous_aggregate_policy('metric_1h', true)", null),
                ($"SELECT {ts}.add_continuous_aggregate_policy('metric_1h', start_offset => @start::interval, end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes')",
                    new { start = late + TimeSpan.FromHours(3) }),
                ($"SELECT {ts}.remove_retention_policy('metric_1m', true)", null),
                ($"SELECT {ts}.add_retention_policy('metric_1m', drop_after => @retention::interval)", new { retention = Options.Retention }),
                ($"SELECT {ts}.remove_retention_policy('metric_1h', true)", null),
                ($"SELECT {ts}.add_retention_policy('metric_1h', drop_after => @retention::interval)", new { retention = Options.HourlyRetention }),
            };
            foreach (var (sql, parameters) in statements)
            {
                await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
            }

            return true;
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    // Re-rolling an unchanged bucket writes nothing (no dead rows each minute). A sum may come out
    // different in its last bits (rows added in another order), which is not a change.
    private const string Changed = """
        (r.value_count <> excluded.value_count OR r.value_min <> excluded.value_min OR r.value_max <> excluded.value_max
            OR abs(r.value_sum - excluded.value_sum) > 1e-12 * greatest(abs(r.value_sum), 1))
        """;

    private const string MinuteSql = $"""
        INSERT INTO metric_1m AS r (server_id, name, labels, bucket, value_sum, value_count, value_min, value_max)
        SELECT server_id, name, labels, date_bin(INTERVAL '1 minute', at, {Origin}), sum(value), count(*), min(value), max(value)
        FROM metric_samples WHERE at >= @from AND at < @to
        GROUP BY server_id, name, labels, 4
        ON CONFLICT (server_id, name, bucket, labels) DO UPDATE SET
            value_sum = excluded.value_sum, value_count = excluded.value_count,
            value_min = excluded.value_min, value_max = excluded.value_max
        WHERE {Changed}
        """;

    private const string HourSql = $"""
        INSERT INTO metric_1h AS r (server_id, name, labels, bucket, value_sum, value_count, value_min, value_max)
        SELECT server_id, name, labels, date_bin(INTERVAL '1 hour', bucket, {Origin}), sum(value_sum), sum(value_count)::bigint, min(value_min), max(value_max)
        FROM metric_1m WHERE bucket >= @from AND bucket < @to
        GROUP BY server_id, name, labels, 4
        ON CONFLICT (server_id, name, bucket, labels) DO UPDATE SET
            value_sum = excluded.value_sum, value_count = excluded.value_count,
            value_min = excluded.value_min, value_max = excluded.value_max
        WHERE {Changed}
        """;

    /// <returns>Rows written, or null when another replica holds the rollup lock.</returns>
    private Task<long?> RollupChunkAsync(string sql, string resolution, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        dataSources.InTransactionAsync<long?>(async (connection, transaction) =>
        {
            var schema = await dataSources.GetEffectiveSchemaAsync(connection, transaction, cancellationToken);
            var locked = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT pg_try_advisory_xact_lock(@key)", new { key = PostgresNames.LockKey("metric-rollup", schema) }, transaction, cancellationToken: cancellationToken));
            if (!locked)
            {
                return null;
            }

            var written = await connection.ExecuteAsync(new CommandDefinition(
                sql, new { from = PostgresTime.ToDb(from), to = PostgresTime.ToDb(to) }, transaction, commandTimeout: 600, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO metric_rollup_state (resolution, rolled_up_to) VALUES (@resolution, @to)
                ON CONFLICT (resolution) DO UPDATE SET rolled_up_to = GREATEST(metric_rollup_state.rolled_up_to, excluded.rolled_up_to)
                """,
                new { resolution, to = PostgresTime.ToDb(to) },
                transaction,
                cancellationToken: cancellationToken));
            return written;
        }, RetryPolicy.Idempotent, cancellationToken);

    private Task<(DateTimeOffset? Minute, DateTimeOffset? Hour)> ReadRollupStateAsync(CancellationToken cancellationToken) =>
        dataSources.RunAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<(string Resolution, DateTime RolledUpTo)>(new CommandDefinition(
                "SELECT resolution, rolled_up_to FROM metric_rollup_state", cancellationToken: cancellationToken))).ToList();
            DateTimeOffset? Mark(string resolution) =>
                rows.Where(row => row.Resolution == resolution).Select(row => (DateTimeOffset?)PostgresTime.FromDb(row.RolledUpTo)).FirstOrDefault();
            return (Mark("1m"), Mark("1h"));
        }, RetryPolicy.Idempotent, cancellationToken);

    /// <summary>The bucket of the oldest row at or after <paramref name="since"/>, or null when there is none.</summary>
    private Task<DateTimeOffset?> FirstBucketAsync(string table, string column, DateTimeOffset since, TimeSpan size, CancellationToken cancellationToken) =>
        dataSources.RunAsync(async connection =>
        {
            var first = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
                $"SELECT min({column}) FROM {table} WHERE {column} >= @since", new { since = PostgresTime.ToDb(since) }, cancellationToken: cancellationToken));
            return first is { } value ? PostgresTime.Floor(PostgresTime.FromDb(value), size) : (DateTimeOffset?)null;
        }, RetryPolicy.Idempotent, cancellationToken);

    private static IEnumerable<(DateTimeOffset From, DateTimeOffset To)> Chunks(DateTimeOffset start, DateTimeOffset end, TimeSpan chunk)
    {
        for (var from = start; from < end; from += chunk)
        {
            yield return (from, Min(from + chunk, end));
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
