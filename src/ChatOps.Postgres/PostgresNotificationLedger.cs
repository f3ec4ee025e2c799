using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

public sealed class PostgresNotificationLedger(PostgresDataSources dataSources) : INotificationLedger
{
    public Task<ClaimOutcome> TryClaimAsync(NotificationKey key, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(lease, TimeSpan.Zero);

        // One upsert decides: the row is created, or taken over when the condition holds (not done;
        // ours, or its lease ran out). Of racing replicas the later ones wait for the first's row
        // lock and re-check the condition on the row it wrote. ON CONFLICT locks the row even when
        // the condition fails, so the follow-up read sees the latest claim. Safe to repeat after a
        // lost connection: a claim already ours is claimed again.
        return dataSources.InTransactionAsync(async (connection, transaction) =>
        {
            var claimed = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                """
                INSERT INTO notification_claims AS c (subject, route, event, owner, claimed_at)
                VALUES (@Subject, @Route, @Event, @owner, @now)
                ON CONFLICT (subject, route, event) DO UPDATE SET owner = excluded.owner, claimed_at = excluded.claimed_at
                WHERE c.completed_at IS NULL AND (c.owner = excluded.owner OR c.claimed_at <= @expiredBefore)
                RETURNING 1
                """,
                new { key.Subject, key.Route, key.Event, owner, now = PostgresTime.ToDb(now), expiredBefore = PostgresTime.ToDb(now - lease) },
                transaction,
                cancellationToken: cancellationToken));
            if (claimed is not null)
            {
                return ClaimOutcome.Claimed;
            }

            var done = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT completed_at IS NOT NULL FROM notification_claims WHERE subject = @Subject AND route = @Route AND event = @Event",
                key,
                transaction,
                cancellationToken: cancellationToken));
            return done ? ClaimOutcome.AlreadyDone : ClaimOutcome.HeldByOther;
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task CompleteAsync(NotificationKey key, string owner, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE notification_claims SET completed_at = @at, owner = @owner
            WHERE subject = @Subject AND route = @Route AND event = @Event AND completed_at IS NULL
            """,
            new { key.Subject, key.Route, key.Event, owner, at = PostgresTime.ToDb(at) },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    public Task SaveThreadAsync(AlertThread thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentException.ThrowIfNullOrWhiteSpace(thread.AlertId, nameof(thread));
        ArgumentException.ThrowIfNullOrWhiteSpace(thread.Route, nameof(thread));
        ArgumentNullException.ThrowIfNull(thread.Thread, nameof(thread));
        return dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alert_threads (alert_id, route, thread, created_at) VALUES (@AlertId, @Route, @Thread::jsonb, @CreatedAt)
            ON CONFLICT (alert_id, route) DO NOTHING
            """,
            new { thread.AlertId, thread.Route, Thread = PostgresJson.FromChatRef(thread.Thread), CreatedAt = PostgresTime.ToDb(thread.CreatedAt) },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    public async Task<AlertThread?> GetThreadAsync(string alertId, string route, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alertId);
        ArgumentNullException.ThrowIfNull(route);
        return (await QueryThreadsAsync("alert_id = @alertId AND route = @route", new { alertId, route }, cancellationToken)).SingleOrDefault();
    }

    public Task<IReadOnlyList<AlertThread>> ListThreadsAsync(string alertId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alertId);
        return QueryThreadsAsync("alert_id = @alertId", new { alertId }, cancellationToken);
    }

    private Task<IReadOnlyList<AlertThread>> QueryThreadsAsync(string where, object parameters, CancellationToken cancellationToken) =>
        dataSources.RunAsync<IReadOnlyList<AlertThread>>(async connection =>
        {
            var rows = await connection.QueryAsync<ThreadRow>(new CommandDefinition(
                $"SELECT alert_id AS AlertId, route AS Route, thread::text AS Thread, created_at AS CreatedAt FROM alert_threads WHERE {where} ORDER BY created_at, route",
                parameters,
                cancellationToken: cancellationToken));
            return rows.Select(row => new AlertThread(
                row.AlertId, row.Route, PostgresJson.ToChatRef(row.Thread, "alert_threads.thread"), PostgresTime.FromDb(row.CreatedAt))).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);

    private static void ValidateKey(NotificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(key.Subject, nameof(key));
        ArgumentNullException.ThrowIfNull(key.Route, nameof(key));
        ArgumentNullException.ThrowIfNull(key.Event, nameof(key));
    }

    private sealed class ThreadRow
    {
        public string AlertId { get; init; } = "";
        public string Route { get; init; } = "";
        public string Thread { get; init; } = "";
        public DateTime CreatedAt { get; init; }
    }
}
