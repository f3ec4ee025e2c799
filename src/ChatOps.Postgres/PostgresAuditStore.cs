using System.Text;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

/// <summary>
/// Append-only: this class only inserts and selects, and a trigger refuses UPDATE, DELETE and
/// TRUNCATE on the table. Queries read from the replica when one is configured.
/// </summary>
public sealed class PostgresAuditStore(PostgresDataSources dataSources) : IAuditStore
{
    public Task AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        ArgumentException.ThrowIfNullOrWhiteSpace(auditEvent.Id, nameof(auditEvent));
        return dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_events (id, at, actor, action, target, outcome, detail)
            VALUES (@Id, @At, @Actor, @Action, @Target, @Outcome, @Detail)
            ON CONFLICT (id) DO NOTHING
            """,
            new
            {
                auditEvent.Id,
                At = PostgresTime.ToDb(auditEvent.At),
                auditEvent.Actor,
                auditEvent.Action,
                auditEvent.Target,
                auditEvent.Outcome,
                auditEvent.Detail,
            },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit, nameof(query));

        var sql = new StringBuilder(
            "SELECT id AS Id, at AS At, actor AS Actor, action AS Action, target AS Target, outcome AS Outcome, detail AS Detail FROM audit_events WHERE true");
        var parameters = new DynamicParameters();
        if (query.Since is { } since)
        {
            sql.Append(" AND at >= @since");
            parameters.Add("since", PostgresTime.ToDb(since));
        }

        AddEquals(sql, parameters, "actor", query.Actor);
        AddEquals(sql, parameters, "action", query.Action);
        AddEquals(sql, parameters, "target", query.Target);
        sql.Append(" ORDER BY at DESC, id DESC LIMIT @limit");
        parameters.Add("limit", query.Limit);

        return dataSources.RunAsync<IReadOnlyList<AuditEvent>>(async connection =>
        {
            var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken));
            return rows.Select(row => new AuditEvent(row.Id, PostgresTime.FromDb(row.At), row.Actor, row.Action, row.Target, row.Outcome, row.Detail)).ToList();
        }, RetryPolicy.Idempotent, cancellationToken, onReadSource: true);
    }

    // Column names come from this class only, never from the caller; values are always parameters.
    private static void AddEquals(StringBuilder sql, DynamicParameters parameters, string column, string? value)
    {
        if (value is null)
        {
            return;
        }

        sql.Append(" AND ").Append(column).Append(" = @").Append(column);
        parameters.Add(column, value);
    }

    private sealed class AuditRow
    {
        public string Id { get; init; } = "";
        public DateTime At { get; init; }
        public string Actor { get; init; } = "";
        public string Action { get; init; } = "";
        public string? Target { get; init; }
        public string Outcome { get; init; } = "";
        public string? Detail { get; init; }
    }
}
