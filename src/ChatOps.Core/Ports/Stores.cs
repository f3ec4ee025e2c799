using ChatOps.Core.Domain;

namespace ChatOps.Core.Ports;

// The system of record (SQLite in the embedded default, PostgreSQL in scale mode).
// Failure contract for every store: a lost connection or a serialization failure is retried
// inside the adapter where that is safe, and otherwise surfaced as an exception: never
// swallowed, never turned into "not found". State transitions are conditional updates, not
// isolation-level tricks.

public interface IServerStore
{
    /// <summary>Creates or updates a server; keeps the original <see cref="Server.CreatedAt"/>.</summary>
    Task UpsertAsync(Server server, CancellationToken cancellationToken = default);

    Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>All servers, ordered by id.</summary>
    Task<IReadOnlyList<Server>> ListAsync(CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>
/// Agent credentials: one token per server id, stored as a hash. Enrolling again replaces
/// (revokes) the previous token at once, and bumps the server's enrolment generation so
/// nothing of an earlier agent carries over.
/// </summary>
public interface IAgentCredentialStore
{
    /// <returns>The new enrolment generation (1 for the first enrolment).</returns>
    Task<long> EnrollAsync(string serverId, string tokenHash, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The server a token hash is bound to, or null for an unknown or revoked token.</summary>
    Task<AgentCredential?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken = default);

    Task<bool> RevokeAsync(string serverId, CancellationToken cancellationToken = default);
}

public sealed record AgentCredential(string ServerId, long Generation, DateTimeOffset EnrolledAt);

public interface ICommandStore
{
    /// <summary>Inserts a new command. False when <see cref="CommandRecord.Id"/> exists already (unique constraint).</summary>
    Task<bool> TryCreateAsync(CommandRecord command, CancellationToken cancellationToken = default);

    Task<CommandRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a command to <paramref name="to"/> only if it is now in one of <paramref name="from"/>
    /// (a conditional UPDATE); false when it was not, so no transition is ever lost or reversed.
    /// </summary>
    Task<bool> TryTransitionAsync(string id, IReadOnlyCollection<CommandState> from, CommandState to, CommandUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Commands in any of <paramref name="states"/>, oldest first, optionally for one server.</summary>
    Task<IReadOnlyList<CommandRecord>> ListByStateAsync(IReadOnlyCollection<CommandState> states, string? serverId = null, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>Newest first, optionally for one server.</summary>
    Task<IReadOnlyList<CommandRecord>> ListRecentAsync(string? serverId = null, int limit = 20, CancellationToken cancellationToken = default);

    /// <summary>The commands a request fanned out into.</summary>
    Task<IReadOnlyList<CommandRecord>> ListByRequestAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Appends a chunk; a chunk with an existing (command, seq) is ignored (redelivery).</summary>
    Task AppendOutputAsync(OutputChunk chunk, CancellationToken cancellationToken = default);

    /// <summary>All chunks in sequence order.</summary>
    Task<IReadOnlyList<OutputChunk>> GetOutputAsync(string commandId, CancellationToken cancellationToken = default);
}

public interface IAuditStore
{
    /// <summary>Appends; an event whose id exists is ignored. Entries are never updated or deleted.</summary>
    Task AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}

public interface IUserStore
{
    Task UpsertUserAsync(User user, CancellationToken cancellationToken = default);

    Task<User?> GetUserAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>Links a chat identity (e.g. <c>slack:T1/U2</c>, <c>teams:{tenant}/{aad}</c>) to a user; relinking moves it.</summary>
    Task LinkIdentityAsync(string identity, string userId, CancellationToken cancellationToken = default);

    Task<User?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<string>> ListIdentitiesAsync(string userId, CancellationToken cancellationToken = default);

    Task CreateApiKeyAsync(ApiKey key, CancellationToken cancellationToken = default);

    /// <summary>The key with this hash, unless revoked.</summary>
    Task<ApiKey?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default);

    Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default);
}

/// <summary>Threads of the built-in web channel. Messages are numbered per thread from 1.</summary>
public interface IChatThreadStore
{
    /// <summary>Creates the thread; false when its id exists.</summary>
    Task<bool> CreateThreadAsync(ChatThread thread, CancellationToken cancellationToken = default);

    Task<ChatThread?> GetThreadAsync(string threadId, CancellationToken cancellationToken = default);

    /// <summary>Points the thread at the command it started.</summary>
    Task SetCommandAsync(string threadId, string commandId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a message. A non-null <paramref name="dedupeKey"/> already used in this thread makes
    /// the call a no-op (redelivered events never post twice). Returns the message's seq, or the
    /// existing one's.
    /// </summary>
    Task<long> AppendMessageAsync(string threadId, string author, string text, DateTimeOffset at, string? dedupeKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the status the thread shows (e.g. <c>running</c>, <c>succeeded</c>). Written by the same
    /// consumer that posts the messages, after them, so a reader that sees a final status also sees
    /// the final messages.
    /// </summary>
    Task SetStatusAsync(string threadId, string status, CancellationToken cancellationToken = default);

    /// <summary>The thread's status, or null when none was set.</summary>
    Task<string?> GetStatusAsync(string threadId, CancellationToken cancellationToken = default);

    /// <summary>Messages with seq greater than <paramref name="afterSeq"/>, in order.</summary>
    Task<IReadOnlyList<ChatThreadMessage>> GetMessagesAsync(string threadId, long afterSeq = 0, CancellationToken cancellationToken = default);
}
