using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

public sealed class PostgresChatThreadStore(PostgresDataSources dataSources) : IChatThreadStore, IChatThreadBatchWriter
{
    public Task<bool> CreateThreadAsync(ChatThread thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentException.ThrowIfNullOrWhiteSpace(thread.Id, nameof(thread));
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO chat_threads (id, channel, user_id, command_id, created_at) VALUES (@Id, @Channel, @UserId, @CommandId, @CreatedAt)
            ON CONFLICT (id) DO NOTHING
            """,
            new { thread.Id, thread.Channel, thread.UserId, thread.CommandId, CreatedAt = PostgresTime.ToDb(thread.CreatedAt) },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<ChatThread?> GetThreadAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        return dataSources.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ThreadRow>(new CommandDefinition(
                """
                SELECT id AS Id, channel AS Channel, user_id AS UserId, command_id AS CommandId, created_at AS CreatedAt
                FROM chat_threads WHERE id = @threadId
                """,
                new { threadId },
                cancellationToken: cancellationToken));
            return row is null ? null : new ChatThread(row.Id, row.Channel, row.UserId, row.CommandId, PostgresTime.FromDb(row.CreatedAt));
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    /// <exception cref="InvalidOperationException">There is no such thread.</exception>
    public Task SetCommandAsync(string threadId, string commandId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        ArgumentException.ThrowIfNullOrWhiteSpace(commandId);
        return UpdateThreadAsync("UPDATE chat_threads SET command_id = @value WHERE id = @threadId", threadId, commandId, cancellationToken);
    }

    /// <exception cref="InvalidOperationException">There is no such thread.</exception>
    public Task SetStatusAsync(string threadId, string status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        ArgumentException.ThrowIfNullOrWhiteSpace(status);
        return UpdateThreadAsync("UPDATE chat_threads SET status = @value WHERE id = @threadId", threadId, status, cancellationToken);
    }

    public Task<string?> GetStatusAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        return dataSources.RunAsync(connection => connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT status FROM chat_threads WHERE id = @threadId",
            new { threadId },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    /// <exception cref="InvalidOperationException">There is no such thread.</exception>
    public Task<long> AppendMessageAsync(string threadId, string author, string text, DateTimeOffset at, string? dedupeKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(text);

        return dataSources.InTransactionAsync(async (connection, transaction) =>
        {
            await LockThreadAsync(connection, transaction, threadId, cancellationToken);
            return await AppendLockedAsync(connection, transaction, threadId, author, text, at, dedupeKey, cancellationToken);
        }, dedupeKey is null ? RetryPolicy.OnlyWhenNothingApplied : RetryPolicy.Idempotent, cancellationToken);
    }

    /// <summary>The whole update in one transaction (the web channel's ack is one commit instead of five).</summary>
    /// <exception cref="InvalidOperationException">There is no such thread (and none to create).</exception>
    public Task ApplyAsync(ThreadUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentException.ThrowIfNullOrWhiteSpace(update.ThreadId, nameof(update));
        ArgumentNullException.ThrowIfNull(update.Messages, nameof(update));
        if (update.Create is { } create && create.Id != update.ThreadId) throw new ArgumentException("the thread to create must have the update's thread id", nameof(update));
        foreach (var message in update.Messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(update));
            ArgumentNullException.ThrowIfNull(message.Author, nameof(update));
            ArgumentNullException.ThrowIfNull(message.Text, nameof(update));
        }

        var threadId = update.ThreadId;
        var idempotent = update.Messages.All(m => m.DedupeKey is not null);
        return dataSources.InTransactionAsync(async (connection, transaction) =>
        {
            if (update.Create is { } thread)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO chat_threads (id, channel, user_id, command_id, created_at) VALUES (@Id, @Channel, @UserId, @CommandId, @CreatedAt)
                    ON CONFLICT (id) DO NOTHING
                    """,
                    new { thread.Id, thread.Channel, thread.UserId, thread.CommandId, CreatedAt = PostgresTime.ToDb(thread.CreatedAt) },
                    transaction,
                    cancellationToken: cancellationToken));
            }

            await LockThreadAsync(connection, transaction, threadId, cancellationToken);
            if (update.CommandId is { } commandId)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE chat_threads SET command_id = @commandId WHERE id = @threadId", new { threadId, commandId }, transaction, cancellationToken: cancellationToken));
            }

            foreach (var message in update.Messages)
            {
                await AppendLockedAsync(connection, transaction, threadId, message.Author, message.Text, message.At, message.DedupeKey, cancellationToken);
            }

            if (update.Status is { } status)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE chat_threads SET status = @status WHERE id = @threadId", new { threadId, status }, transaction, cancellationToken: cancellationToken));
            }

            return 0;
        }, idempotent ? RetryPolicy.Idempotent : RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    // The thread's row lock (FOR UPDATE) serialises appends to one thread: between it and the
    // commit nobody else reads max(seq) or checks the dedupe key, so seqs are gapless and
    // unique; appends to other threads do not wait. With a dedupe key a repeat is harmless.
    private static async Task LockThreadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string threadId, CancellationToken cancellationToken)
    {
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM chat_threads WHERE id = @threadId FOR UPDATE)",
            new { threadId },
            transaction,
            cancellationToken: cancellationToken));
        if (!exists)
        {
            throw UnknownThread(threadId);
        }
    }

    private static async Task<long> AppendLockedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string threadId, string author, string text, DateTimeOffset at, string? dedupeKey, CancellationToken cancellationToken)
    {
        if (dedupeKey is not null)
        {
            var existing = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT seq FROM chat_messages WHERE thread_id = @threadId AND dedupe_key = @dedupeKey",
                new { threadId, dedupeKey },
                transaction,
                cancellationToken: cancellationToken));
            if (existing is { } seq)
            {
                return seq;
            }
        }

        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO chat_messages (thread_id, seq, author, text, at, dedupe_key)
            SELECT @threadId, COALESCE(MAX(seq), 0) + 1, @author, @text, @at, @dedupeKey
            FROM chat_messages WHERE thread_id = @threadId
            RETURNING seq
            """,
            new { threadId, author, text = PostgresText.WithoutNul(text), at = PostgresTime.ToDb(at), dedupeKey },
            transaction,
            cancellationToken: cancellationToken));
    }

    public Task<IReadOnlyList<ChatThreadMessage>> GetMessagesAsync(string threadId, long afterSeq = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        return dataSources.RunAsync<IReadOnlyList<ChatThreadMessage>>(async connection =>
        {
            var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition(
                """
                SELECT thread_id AS ThreadId, seq AS Seq, author AS Author, text AS Text, at AS At
                FROM chat_messages WHERE thread_id = @threadId AND seq > @afterSeq ORDER BY seq
                """,
                new { threadId, afterSeq },
                cancellationToken: cancellationToken));
            return rows.Select(row => new ChatThreadMessage(row.ThreadId, row.Seq, row.Author, row.Text, PostgresTime.FromDb(row.At))).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    private Task UpdateThreadAsync(string sql, string threadId, string value, CancellationToken cancellationToken) =>
        dataSources.RunAsync(async connection =>
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition(sql, new { threadId, value }, cancellationToken: cancellationToken));
            return updated == 1 ? updated : throw UnknownThread(threadId);
        }, RetryPolicy.Idempotent, cancellationToken);

    private static InvalidOperationException UnknownThread(string threadId) => new($"there is no chat thread '{threadId}'");

    private sealed class ThreadRow
    {
        public string Id { get; init; } = "";
        public string Channel { get; init; } = "";
        public string UserId { get; init; } = "";
        public string? CommandId { get; init; }
        public DateTime CreatedAt { get; init; }
    }

    private sealed class MessageRow
    {
        public string ThreadId { get; init; } = "";
        public long Seq { get; init; }
        public string Author { get; init; } = "";
        public string Text { get; init; } = "";
        public DateTime At { get; init; }
    }
}
