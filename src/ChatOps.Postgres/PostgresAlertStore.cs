using ChatOps.Core.Alerts;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

/// <remarks>
/// One active alert per fingerprint is the partial unique index <c>ux_alerts_active_fingerprint</c>.
/// Every write is one conditional statement, so of two racing writers the second waits for the
/// first's row lock, re-checks its condition on the new row and matches nothing. The history list
/// (<see cref="ListRecentAsync"/>) reads from the replica when one is configured; everything the
/// evaluator decides on reads the primary.
/// </remarks>
public sealed class PostgresAlertStore(PostgresDataSources dataSources) : IAlertStore
{
    public Task<bool> TryCreateAsync(AlertRecord alert, CancellationToken cancellationToken = default)
    {
        Validate(alert);

        // ON CONFLICT without a target covers the primary key and the partial unique index alike.
        // Not repeated after a lost connection: the retry would find its own row and answer false.
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alerts (id, fingerprint, rule_name, server_id, labels, condition, severity, state, value, detail, terms,
                started_at, fired_at, clear_since, last_sample_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by,
                escalations, last_escalated_at, silenced_by, pending_event, version, updated_at)
            VALUES (@Id, @Fingerprint, @RuleName, @ServerId, @Labels::jsonb, @Condition, @Severity, @State, @Value, @Detail, @Terms::jsonb,
                @StartedAt, @FiredAt, @ClearSince, @LastSampleAt, @AcknowledgedAt, @AcknowledgedBy, @ResolvedAt, @ResolvedBy,
                @Escalations, @LastEscalatedAt, @SilencedBy, @PendingEvent, @Version, @UpdatedAt)
            ON CONFLICT DO NOTHING
            """,
            AlertRow.ToParameters(alert),
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<bool> TryUpdateAsync(AlertRecord alert, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Validate(alert);
        var parameters = new DynamicParameters(AlertRow.ToParameters(alert));
        parameters.Add("ExpectedVersion", expectedVersion);

        // What identifies the occurrence (fingerprint, rule, server, labels, condition, start) never
        // changes; everything else is replaced, nulls included.
        return dataSources.RunAsync(async connection =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE alerts SET severity = @Severity, state = @State, value = @Value, detail = @Detail, terms = @Terms::jsonb,
                        fired_at = @FiredAt, clear_since = @ClearSince, last_sample_at = @LastSampleAt,
                        acknowledged_at = @AcknowledgedAt, acknowledged_by = @AcknowledgedBy, resolved_at = @ResolvedAt,
                        resolved_by = @ResolvedBy, escalations = @Escalations, last_escalated_at = @LastEscalatedAt,
                        silenced_by = @SilencedBy, pending_event = @PendingEvent, version = @Version, updated_at = @UpdatedAt
                    WHERE id = @Id AND version = @ExpectedVersion
                    """,
                    parameters,
                    cancellationToken: cancellationToken)) == 1;
            }
            catch (PostgresException ex) when (PostgresErrors.IsUniqueViolation(ex))
            {
                // Reopening a resolved alert while another is active for its fingerprint: the
                // condition of this write (one active alert per fingerprint) does not hold.
                return false;
            }
        }, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<bool> TryDeletePendingAsync(string id, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM alerts WHERE id = @id AND version = @expectedVersion AND state = 'pending'",
            new { id, expectedVersion },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<bool> ClearPendingEventAsync(string id, long version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alerts SET pending_event = NULL WHERE id = @id AND version = @version AND pending_event IS NOT NULL",
            new { id, version },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public async Task<AlertRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return (await QueryAsync($"SELECT {AlertRow.Columns} FROM alerts WHERE id = @id", new { id }, onReadSource: false, cancellationToken))
            .SingleOrDefault();
    }

    public async Task<AlertRecord?> FindActiveAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        return (await QueryAsync(
            $"SELECT {AlertRow.Columns} FROM alerts WHERE fingerprint = @fingerprint AND {AlertRow.ActiveCondition}",
            new { fingerprint },
            onReadSource: false,
            cancellationToken)).SingleOrDefault();
    }

    public Task<IReadOnlyList<AlertRecord>> ListActiveAsync(string? serverId = null, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {AlertRow.Columns} FROM alerts WHERE {AlertRow.ActiveCondition} {ServerFilter(serverId)} ORDER BY started_at, id",
            new { serverId },
            onReadSource: false,
            cancellationToken);

    public Task<IReadOnlyList<AlertRecord>> ListResolvedSinceAsync(DateTimeOffset since, string? serverId = null, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"""
            SELECT {AlertRow.Columns} FROM alerts
            WHERE resolved_at >= @since AND state = 'resolved' {ServerFilter(serverId)}
            ORDER BY resolved_at DESC, id DESC
            """,
            new { since = PostgresTime.ToDb(since), serverId },
            onReadSource: false,
            cancellationToken);

    public Task<IReadOnlyList<AlertRecord>> ListRecentAsync(int limit = 50, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {AlertRow.Columns} FROM alerts ORDER BY started_at DESC, id DESC LIMIT @limit",
            new { limit = Math.Clamp(limit, 1, 1000) },
            onReadSource: true,
            cancellationToken);

    private Task<IReadOnlyList<AlertRecord>> QueryAsync(string sql, object parameters, bool onReadSource, CancellationToken cancellationToken) =>
        dataSources.RunAsync<IReadOnlyList<AlertRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<AlertRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return rows.Select(row => row.ToRecord()).ToList();
        }, RetryPolicy.Idempotent, cancellationToken, onReadSource);

    // A separate statement per case rather than "@serverId IS NULL OR ...", so the planner can use
    // the server's index when one is given.
    private static string ServerFilter(string? serverId) => serverId is null ? "" : "AND server_id = @serverId";

    private static void Validate(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentException.ThrowIfNullOrWhiteSpace(alert.Id, nameof(alert));
        ArgumentException.ThrowIfNullOrWhiteSpace(alert.Fingerprint, nameof(alert));
        ArgumentNullException.ThrowIfNull(alert.Labels, nameof(alert));
        ArgumentNullException.ThrowIfNull(alert.Terms, nameof(alert));
    }
}
