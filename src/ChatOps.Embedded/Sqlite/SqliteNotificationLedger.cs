using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteNotificationLedger(SqliteConnectionFactory connections) : INotificationLedger
{
    public Task<ClaimOutcome> TryClaimAsync(NotificationKey key, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);

        // Inside BEGIN IMMEDIATE nobody writes between the read and the write, so the decision is atomic.
        return connections.WriteAsync(async (connection, transaction) =>
        {
            var existing = await connection.QuerySingleOrDefaultAsync<ClaimRow>(new CommandDefinition(
                """
                SELECT owner AS Owner, claimed_at AS ClaimedAt, completed_at AS CompletedAt FROM notification_claims
                WHERE subject = @Subject AND route = @Route AND event = @Event
                """,
                key,
                transaction,
                cancellationToken: cancellationToken));
            if (existing is null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO notification_claims (subject, route, event, owner, claimed_at) VALUES (@Subject, @Route, @Event, @owner, @now)",
                    new { key.Subject, key.Route, key.Event, owner, now = SqliteTime.ToText(now) },
                    transaction,
                    cancellationToken: cancellationToken));
                return ClaimOutcome.Claimed;
            }

            if (existing.CompletedAt is not null) return ClaimOutcome.AlreadyDone;
            var expired = SqliteTime.FromText(existing.ClaimedAt) + lease <= now;
            if (existing.Owner != owner && !expired) return ClaimOutcome.HeldByOther;

            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE notification_claims SET owner = @owner, claimed_at = @now WHERE subject = @Subject AND route = @Route AND event = @Event",
                new { key.Subject, key.Route, key.Event, owner, now = SqliteTime.ToText(now) },
                transaction,
                cancellationToken: cancellationToken));
            return ClaimOutcome.Claimed;
        }, cancellationToken);
    }

    public Task CompleteAsync(NotificationKey key, string owner, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return connections.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE notification_claims SET completed_at = @at, owner = @owner
            WHERE subject = @Subject AND route = @Route AND event = @Event AND completed_at IS NULL
            """,
            new { key.Subject, key.Route, key.Event, owner, at = SqliteTime.ToText(at) },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task SaveThreadAsync(AlertThread thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        return connections.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alert_threads (alert_id, route, thread, created_at) VALUES (@AlertId, @Route, @Thread, @CreatedAt)
            ON CONFLICT (alert_id, route) DO NOTHING
            """,
            new { thread.AlertId, thread.Route, Thread = SqliteJson.FromChatRef(thread.Thread), CreatedAt = SqliteTime.ToText(thread.CreatedAt) },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public async Task<AlertThread?> GetThreadAsync(string alertId, string route, CancellationToken cancellationToken = default) =>
        (await QueryThreadsAsync("alert_id = @alertId AND route = @route", new { alertId, route }, cancellationToken)).FirstOrDefault();

    public Task<IReadOnlyList<AlertThread>> ListThreadsAsync(string alertId, CancellationToken cancellationToken = default) =>
        QueryThreadsAsync("alert_id = @alertId", new { alertId }, cancellationToken);

    private Task<IReadOnlyList<AlertThread>> QueryThreadsAsync(string where, object parameters, CancellationToken cancellationToken) =>
        connections.ReadAsync<IReadOnlyList<AlertThread>>(async connection =>
        {
            var rows = await connection.QueryAsync<ThreadRow>(new CommandDefinition(
                $"SELECT alert_id AS AlertId, route AS Route, thread AS Thread, created_at AS CreatedAt FROM alert_threads WHERE {where} ORDER BY created_at, route",
                parameters,
                cancellationToken: cancellationToken));
            return rows.Select(row => new AlertThread(row.AlertId, row.Route, SqliteJson.ToChatRef(row.Thread, "alert_threads.thread"), SqliteTime.FromText(row.CreatedAt))).ToList();
        }, cancellationToken);

    private sealed class ClaimRow
    {
        public string Owner { get; init; } = "";
        public string ClaimedAt { get; init; } = "";
        public string? CompletedAt { get; init; }
    }

    private sealed class ThreadRow
    {
        public string AlertId { get; init; } = "";
        public string Route { get; init; } = "";
        public string Thread { get; init; } = "";
        public string CreatedAt { get; init; } = "";
    }
}
