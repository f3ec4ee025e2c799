using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteChatThreadStore(SqliteConnectionFactory connections) : IChatThreadStore, IChatThreadBatchWriter
{
    /// <summary>The whole update in one transaction (the web channel's ack is one write instead of five).</summary>
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
        return connections.WriteAsync(async (connection, transaction) =>
        {
            if (update.Create is { } thread)
            {
                await InsertThreadAsync(connection, transaction, thread, cancellationToken);
            }

            // Thread first, then its command and messages, status last: the order of the single calls.
            var exists = update.CommandId is { } commandId
                ? await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE chat_threads SET command_id = @commandId WHERE id = @threadId", new { threadId, commandId }, transaction, cancellationToken: cancellationToken)) == 1
                : update.Create is not null || await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM chat_threads WHERE id = @threadId", new { threadId }, transaction, cancellationToken: cancellationToken)) == 1;
            if (!exists)
            {
                throw UnknownThread(threadId);
            }

            foreach (var message in update.Messages)
            {
                await AppendAsync(connection, transaction, threadId, message.Author, message.Text, message.At, message.DedupeKey, cancellationToken);
            }

            if (update.Status is { } status)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE chat_threads SET status = @status WHERE id = @threadId", new { threadId, status }, transaction, cancellationToken: cancellationToken));
            }

            return 0;
        }, cancellationToken);
    }

    public Task<bool> CreateThreadAsync(ChatThread thread, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentException.ThrowIfNullOrWhiteSpace(thread.Id, nameof(thread));
        return connections.WriteAsync((connection, transaction) => InsertThreadAsync(connection, transaction, thread, cancellationToken), cancellationToken);
    }

    private static async Task<bool> InsertThreadAsync(SqliteConnection connection, SqliteTransaction transaction, ChatThread thread, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO chat_threads (id, channel, user_id, command_id, created_at) VALUES (@Id, @Channel, @UserId, @CommandId, @CreatedAt)
            ON CONFLICT (id) DO NOTHING
            """,
            new { thread.Id, thread.Channel, thread.UserId, thread.CommandId, CreatedAt = SqliteTime.ToText(thread.CreatedAt) },
            transaction,
            cancellationToken: cancellationToken)) == 1;

    public Task<ChatThread?> GetThreadAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        return connections.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ThreadRow>(new CommandDefinition(
                """
                SELECT id AS Id, channel AS Channel, user_id AS UserId, command_id AS CommandId, created_at AS CreatedAt
                FROM chat_threads WHERE id = @threadId
                """,
                new { threadId },
                cancellationToken: cancellationToken));
            return row is null ? null : new ChatThread(row.Id, row.Channel, row.UserId, row.CommandId, SqliteTime.FromText(row.CreatedAt));
        }, cancellationToken);
    }

    /// <exception cref="InvalidOperationException">There is no such thread.</exception>
    public Task SetCommandAsync(string threadId, string commandId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        ArgumentException.ThrowIfNullOrWhiteSpace(commandId);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE chat_threads SET command_id = @commandId WHERE id = @threadId",
                new { threadId, commandId },
                transaction,
                cancellationToken: cancellationToken));
            return updated == 1 ? updated : throw UnknownThread(threadId);
        }, cancellationToken);
    }

    /// <exception cref="InvalidOperationException">There is no such thread.</exception>
    public Task SetStatusAsync(string threadId, string status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        ArgumentException.ThrowIfNullOrWhiteSpace(status);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE chat_threads SET status = @status WHERE id = @threadId",
                new { threadId, status },
                transaction,
                cancellationToken: cancellationToken));
            return updated == 1 ? updated : throw UnknownThread(threadId);
        }, cancellationToken);
    }

    public Task<string?> GetStatusAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        return connections.ReadAsync(connection => connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT status FROM chat_threads WHERE id = @threadId",
            new { threadId },
            cancellationToken: cancellationToken)), cancellationToken);
    }

    /// <exception cref="InvalidOperationException">There is no such thread.</exception>
    public Task<long> AppendMessageAsync(string threadId, string author, string text, DateTimeOffset at, string? dedupeKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(text);

        // Inside BEGIN IMMEDIATE (and the factory's write gate) nobody else writes between the
        // dedupe lookup, reading max(seq) and the insert, so seqs are gapless and unique.
        return connections.WriteAsync((connection, transaction) => AppendAsync(connection, transaction, threadId, author, text, at, dedupeKey, cancellationToken), cancellationToken);
    }

    private static async Task<long> AppendAsync(SqliteConnection connection, SqliteTransaction transaction, string threadId, string author, string text, DateTimeOffset at, string? dedupeKey, CancellationToken cancellationToken)
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

        try
        {
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO chat_messages (thread_id, seq, author, text, at, dedupe_key)
                SELECT @threadId, COALESCE(MAX(seq), 0) + 1, @author, @text, @at, @dedupeKey
                FROM chat_messages WHERE thread_id = @threadId
                RETURNING seq
                """,
                new { threadId, author, text, at = SqliteTime.ToText(at), dedupeKey },
                transaction,
                cancellationToken: cancellationToken));
        }
        catch (SqliteException ex) when (SqliteErrors.IsForeignKeyViolation(ex))
        {
            throw UnknownThread(threadId, ex);
        }
    }

    public Task<IReadOnlyList<ChatThreadMessage>> GetMessagesAsync(string threadId, long afterSeq = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        return connections.ReadAsync<IReadOnlyList<ChatThreadMessage>>(async connection =>
        {
            var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition(
                """
                SELECT thread_id AS ThreadId, seq AS Seq, author AS Author, text AS Text, at AS At
                FROM chat_messages WHERE thread_id = @threadId AND seq > @afterSeq ORDER BY seq
                """,
                new { threadId, afterSeq },
                cancellationToken: cancellationToken));
            return rows.Select(row => new ChatThreadMessage(row.ThreadId, row.Seq, row.Author, row.Text, SqliteTime.FromText(row.At))).ToList();
        }, cancellationToken);
    }

    private static InvalidOperationException UnknownThread(string threadId, Exception? inner = null) =>
        new($"there is no chat thread '{threadId}'", inner);

    private sealed class ThreadRow
    {
        public string Id { get; init; } = "";
        public string Channel { get; init; } = "";
        public string UserId { get; init; } = "";
        public string? CommandId { get; init; }
        public string CreatedAt { get; init; } = "";
    }

    private sealed class MessageRow
    {
        public string ThreadId { get; init; } = "";
        public long Seq { get; init; }
        public string Author { get; init; } = "";
        public string Text { get; init; } = "";
        public string At { get; init; } = "";
    }
}
