using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteNotificationOutbox(SqliteConnectionFactory connections) : INotificationOutbox
{
    private const string Columns = """
        id AS Id, subject AS Subject, route AS Route, event AS Event, platform AS Platform, destination AS Destination,
        title AS Title, body AS Body, payload AS Payload, state AS State, attempts AS Attempts,
        next_attempt_at AS NextAttemptAt, last_error AS LastError, created_at AS CreatedAt, delivered_at AS DeliveredAt
        """;

    public Task<bool> TryEnqueueAsync(OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
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
                message.Title,
                message.Body,
                message.Payload,
                State = AlertText.ToText(message.State),
                message.Attempts,
                NextAttemptAt = SqliteTime.ToText(message.NextAttemptAt),
                message.LastError,
                CreatedAt = SqliteTime.ToText(message.CreatedAt),
                DeliveredAt = SqliteTime.ToText(message.DeliveredAt),
            },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public Task<IReadOnlyList<OutboxMessage>> LeaseDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default) =>
        connections.WriteAsync<IReadOnlyList<OutboxMessage>>(async (connection, transaction) =>
        {
            var rows = await connection.QueryAsync<OutboxRow>(new CommandDefinition(
                $"""
                UPDATE notification_outbox SET locked_until = @until
                WHERE id IN (
                    SELECT id FROM notification_outbox
                    WHERE state = 'pending' AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until <= @now)
                    ORDER BY id LIMIT @max)
                RETURNING {Columns}
                """,
                new { now = SqliteTime.ToText(now), until = SqliteTime.ToText(now + lease), max = Math.Clamp(max, 1, 1000) },
                transaction,
                cancellationToken: cancellationToken));
            return rows.Select(row => row.ToMessage()).OrderBy(message => message.Id).ToList();
        }, cancellationToken);

    public Task MarkDeliveredAsync(long id, int attempts, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        UpdateAsync(
            "state = 'delivered', attempts = @attempts, delivered_at = @at, locked_until = NULL, last_error = NULL",
            new { id, attempts, at = SqliteTime.ToText(at) },
            cancellationToken);

    public Task ScheduleRetryAsync(long id, int attempts, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default) =>
        UpdateAsync(
            "attempts = @attempts, next_attempt_at = @next, last_error = @error, locked_until = NULL",
            new { id, attempts, next = SqliteTime.ToText(nextAttemptAt), error },
            cancellationToken);

    public Task MarkFailedAsync(long id, int attempts, string error, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        UpdateAsync(
            "state = 'failed', attempts = @attempts, last_error = @error, locked_until = NULL",
            new { id, attempts, error },
            cancellationToken);

    public Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxState? state = null, int limit = 100, CancellationToken cancellationToken = default) =>
        connections.ReadAsync<IReadOnlyList<OutboxMessage>>(async connection =>
        {
            var rows = await connection.QueryAsync<OutboxRow>(new CommandDefinition(
                $"SELECT {Columns} FROM notification_outbox WHERE (@state IS NULL OR state = @state) ORDER BY id DESC LIMIT @limit",
                new { state = state is { } s ? AlertText.ToText(s) : null, limit = Math.Clamp(limit, 1, 1000) },
                cancellationToken: cancellationToken));
            return rows.Select(row => row.ToMessage()).ToList();
        }, cancellationToken);

    private Task UpdateAsync(string set, object parameters, CancellationToken cancellationToken) =>
        connections.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE notification_outbox SET {set} WHERE id = @id", parameters, transaction, cancellationToken: cancellationToken)), cancellationToken);

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
        public long Attempts { get; init; }
        public string NextAttemptAt { get; init; } = "";
        public string? LastError { get; init; }
        public string CreatedAt { get; init; } = "";
        public string? DeliveredAt { get; init; }

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
            Attempts = checked((int)Attempts),
            NextAttemptAt = SqliteTime.FromText(NextAttemptAt),
            LastError = LastError,
            CreatedAt = SqliteTime.FromText(CreatedAt),
            DeliveredAt = SqliteTime.FromNullableText(DeliveredAt),
        };
    }
}
