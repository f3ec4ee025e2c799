using ChatOps.Core.Alerts;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteAlertStore(SqliteConnectionFactory connections) : IAlertStore
{
    private const string Active = "state <> 'resolved'";

    public Task<bool> TryCreateAsync(AlertRecord alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO alerts (id, fingerprint, rule_name, server_id, labels, condition, severity, state, value, detail, terms,
                        started_at, fired_at, clear_since, last_sample_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by,
                        escalations, last_escalated_at, silenced_by, pending_event, version, updated_at)
                    VALUES (@Id, @Fingerprint, @RuleName, @ServerId, @Labels, @Condition, @Severity, @State, @Value, @Detail, @Terms,
                        @StartedAt, @FiredAt, @ClearSince, @LastSampleAt, @AcknowledgedAt, @AcknowledgedBy, @ResolvedAt, @ResolvedBy,
                        @Escalations, @LastEscalatedAt, @SilencedBy, @PendingEvent, @Version, @UpdatedAt)
                    """,
                    AlertRow.ToParameters(alert),
                    transaction,
                    cancellationToken: cancellationToken)) == 1;
            }
            catch (SqliteException ex) when (SqliteErrors.IsUniqueViolation(ex))
            {
                return false;
            }
        }, cancellationToken);
    }

    public Task<bool> TryUpdateAsync(AlertRecord alert, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            var parameters = new DynamicParameters(AlertRow.ToParameters(alert));
            parameters.Add("ExpectedVersion", expectedVersion);
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE alerts SET severity = @Severity, state = @State, value = @Value, detail = @Detail, terms = @Terms,
                        fired_at = @FiredAt, clear_since = @ClearSince, last_sample_at = @LastSampleAt,
                        acknowledged_at = @AcknowledgedAt, acknowledged_by = @AcknowledgedBy, resolved_at = @ResolvedAt,
                        resolved_by = @ResolvedBy, escalations = @Escalations, last_escalated_at = @LastEscalatedAt,
                        silenced_by = @SilencedBy, pending_event = @PendingEvent, version = @Version, updated_at = @UpdatedAt
                    WHERE id = @Id AND version = @ExpectedVersion
                    """,
                    parameters,
                    transaction,
                    cancellationToken: cancellationToken)) == 1;
            }
            catch (SqliteException ex) when (SqliteErrors.IsUniqueViolation(ex))
            {
                return false;
            }
        }, cancellationToken);
    }

    public Task<bool> TryDeletePendingAsync(string id, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM alerts WHERE id = @id AND version = @expectedVersion AND state = 'pending'",
            new { id, expectedVersion },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public Task<bool> ClearPendingEventAsync(string id, long version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alerts SET pending_event = NULL WHERE id = @id AND version = @version AND pending_event IS NOT NULL",
            new { id, version },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public async Task<AlertRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return (await QueryAsync($"SELECT {AlertRow.Columns} FROM alerts WHERE id = @id", new { id }, cancellationToken)).FirstOrDefault();
    }

    public async Task<AlertRecord?> FindActiveAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        return (await QueryAsync($"SELECT {AlertRow.Columns} FROM alerts WHERE fingerprint = @fingerprint AND {Active}", new { fingerprint }, cancellationToken))
            .FirstOrDefault();
    }

    public Task<IReadOnlyList<AlertRecord>> ListActiveAsync(string? serverId = null, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {AlertRow.Columns} FROM alerts WHERE {Active} AND (@serverId IS NULL OR server_id = @serverId) ORDER BY started_at, id",
            new { serverId },
            cancellationToken);

    public Task<IReadOnlyList<AlertRecord>> ListResolvedSinceAsync(DateTimeOffset since, string? serverId = null, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"""
            SELECT {AlertRow.Columns} FROM alerts
            WHERE resolved_at >= @since AND state = 'resolved' AND (@serverId IS NULL OR server_id = @serverId)
            ORDER BY resolved_at DESC
            """,
            new { since = SqliteTime.ToText(since), serverId },
            cancellationToken);

    public Task<IReadOnlyList<AlertRecord>> ListRecentAsync(int limit = 50, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {AlertRow.Columns} FROM alerts ORDER BY started_at DESC, id DESC LIMIT @limit",
            new { limit = Math.Clamp(limit, 1, 1000) },
            cancellationToken);

    private Task<IReadOnlyList<AlertRecord>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        connections.ReadAsync<IReadOnlyList<AlertRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<AlertRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return rows.Select(row => row.ToRecord()).ToList();
        }, cancellationToken);
}
