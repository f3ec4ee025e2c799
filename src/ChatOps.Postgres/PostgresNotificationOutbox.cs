using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

/// <remarks>The admin list (<see cref="ListAsync"/>) reads from the replica when one is configured.</remarks>
public sealed class PostgresNotificationOutbox(PostgresDataSources dataSources) : INotificationOutbox
{
    private const string Columns = """
        id AS Id, subject AS Subject, route AS Route, event AS Event, platform AS Platform, destination AS Destination,
        title AS Title, body AS Body, payload AS Payload, state AS State, attempts AS Attempts,
        next_attempt_at AS NextAttemptAt, last_error AS LastError, created_at AS CreatedAt, delivered_at AS DeliveredAt
        """;

    public Task<bool> TryEnqueueAsync(OutboxMessage message, CancellationToken cancellationToken = default)
    {
        Validate(message);

        // Not repeated after a lost connection: the retry would find its own row and answer false.
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO notification_outbox (subject, route, event, platform, destination, title, body, payload, state, attempts,
                next_attempt_at, last_error, created_at, delivered_at)
            VALUES (@Subject, @Route, @Event, @Platform, @Destination, @Title, @Body, @Payload, @State, @Attempts,
                @NextAttemptAt, @LastError, @CreatedAt, @DeliveredAt)
            ON CONFLICT (subject, route, event) DO NOTHING
            """,
            new
            {
                message.Key.Subject,
                message.Key.Route,
                message.Key.Event,
                message.Platform,
                message.Destination,
                Title = PostgresText.WithoutNul(message.Title),
                Body = PostgresText.WithoutNul(message.Body),
                Payload = PostgresText.WithoutNul(message.Payload),
                State = AlertText.ToText(message.State),
                message.Attempts,
                NextAttemptAt = PostgresTime.ToDb(message.NextAttemptAt),
                LastError = Error(message.LastError),
                CreatedAt = PostgresTime.ToDb(message.CreatedAt),
                DeliveredAt = PostgresTime.ToDb(message.DeliveredAt),
            },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<IReadOnlyList<OutboxMessage>> LeaseDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lease, TimeSpan.Zero);

        // SKIP LOCKED: drainers leasing at the same moment take disjoint messages instead of
        // queueing behind each other's row locks. Not repeated after a lost connection: a lease
        // that was applied would hide its messages until it runs out (late, never lost).
        return dataSources.RunAsync<IReadOnlyList<OutboxMessage>>(async connection =>
        {
            var rows = await connection.QueryAsync<OutboxRow>(new CommandDefinition(
                $"""
                UPDATE notification_outbox SET locked_until = @until
                WHERE id IN (
                    SELECT id FROM notification_outbox
                    WHERE state = 'pending' AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until <= @now)
                    ORDER BY id LIMIT @max
                    FOR UPDATE SKIP LOCKED)
                RETURNING {Columns}
                """,
                new { now = PostgresTime.ToDb(now), until = PostgresTime.ToDb(now + lease), max = Math.Clamp(max, 1, 1000) },
                cancellationToken: cancellationToken));
            return rows.Select(row => row.ToMessage()).OrderBy(message => message.Id).ToList();
        }, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task MarkDeliveredAsync(long id, int attempts, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        UpdateAsync(
            "state = 'delivered', attempts = @attempts, delivered_at = @at, locked_until = NULL, last_error = NULL",
            new { id, attempts, at = PostgresTime.ToDb(at) },
            cancellationToken);

    public Task ScheduleRetryAsync(long id, int attempts, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        return UpdateAsync(
            "attempts = @attempts, next_attempt_at = @next, last_error = @error, locked_until = NULL",
            new { id, attempts, next = PostgresTime.ToDb(nextAttemptAt), error = Error(error) },
            cancellationToken);
    }

    public Task MarkFailedAsync(long id, int attempts, string error, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        return UpdateAsync(
            "state = 'failed', attempts = @attempts, last_error = @error, locked_until = NULL",
            new { id, attempts, error = Error(error) },
            cancellationToken);
    }

    public Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxState? state = null, int limit = 100, CancellationToken cancellationToken = default) =>
        dataSources.RunAsync<IReadOnlyList<OutboxMessage>>(async connection =>
        {
            var rows = await connection.QueryAsync<OutboxRow>(new CommandDefinition(
                $"SELECT {Columns} FROM notification_outbox {(state is null ? "" : "WHERE state = @state")} ORDER BY id DESC LIMIT @limit",
                new { state = state is { } s ? AlertText.ToText(s) : null, limit = Math.Clamp(limit, 1, 1000) },
                cancellationToken: cancellationToken));
            return rows.Select(row => row.ToMessage()).ToList();
        }, RetryPolicy.Idempotent, cancellationToken, onReadSource: true);

    // Setting the same values twice has the effect of setting them once.
    private Task UpdateAsync(string set, object parameters, CancellationToken cancellationToken) =>
        dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE notification_outbox SET {set} WHERE id = @id", parameters, cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);

    private static string? Error(string? error) => error is null ? null : PostgresText.WithoutNul(error);

    private static void Validate(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(message.Key, nameof(message));
        ArgumentNullException.ThrowIfNull(message.Key.Subject, nameof(message));
        ArgumentNullException.ThrowIfNull(message.Key.Route, nameof(message));
        ArgumentNullException.ThrowIfNull(message.Key.Event, nameof(message));
        ArgumentNullException.ThrowIfNull(message.Payload, nameof(message));
    }

    private sealed class OutboxRow
    {
        public long Id { get; init; }
        public string Subject { get; init; } = "";
        public string Route { get; init; } = "";
        public string Event { get; init; } = "";
        public string Platform { get; init; } = "";
        public string Destination { get; init; } = "";
        public string Title { get; init; } = "";
        public string Body { get; init; } = "";
        public string Payload { get; init; } = "";
        public string State { get; init; } = "";
        public int Attempts { get; init; }
        public DateTime NextAttemptAt { get; init; }
        public string? LastError { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? DeliveredAt { get; init; }

        public OutboxMessage ToMessage() => new()
        {
            Id = Id,
            Key = new NotificationKey(Subject, Route, Event),
            Platform = Platform,
            Destination = Destination,
            Title = Title,
            Body = Body,
            Payload = Payload,
            State = AlertText.FromText<OutboxState>(State, "notification_outbox.state"),
            Attempts = Attempts,
            NextAttemptAt = PostgresTime.FromDb(NextAttemptAt),
            LastError = LastError,
            CreatedAt = PostgresTime.FromDb(CreatedAt),
            DeliveredAt = PostgresTime.FromDb(DeliveredAt),
        };
    }
}
