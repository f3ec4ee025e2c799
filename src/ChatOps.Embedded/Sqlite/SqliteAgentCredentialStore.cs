using System.Collections.Concurrent;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

/// <summary>One row per server: enrolling again overwrites the token hash, which revokes the old token in the same statement.</summary>
/// <remarks>
/// Token lookups are on the path of every agent connection, and a restarted gateway sees its whole fleet
/// at once. Concurrent lookups therefore share one query (<c>token_hash IN (...)</c>), and a token found
/// valid is remembered for <see cref="VerifiedTokenLifetime"/>. Enrolling or revoking through this store
/// forgets the server's token before the call returns, so in this process a revoked or replaced token is
/// refused on its next connection at once; a change made by another process that shares the database
/// file is seen after at most <see cref="VerifiedTokenLifetime"/>. Unknown and revoked tokens are never
/// remembered: every such attempt reads the store.
/// </remarks>
public sealed class SqliteAgentCredentialStore(SqliteConnectionFactory connections, TimeProvider timeProvider) : IAgentCredentialStore
{
    /// <summary>How long a token found valid is trusted without reading the store again.</summary>
    public static readonly TimeSpan VerifiedTokenLifetime = TimeSpan.FromSeconds(10);

    // Hashes per shared lookup query: well under SQLite's bound on parameters.
    private const int MaxLookupBatch = 256;

    private const string FindSql = """
        SELECT token_hash AS TokenHash, server_id AS ServerId, generation AS Generation, enrolled_at AS EnrolledAt
        FROM agent_credentials WHERE token_hash IN @hashes AND revoked_at IS NULL
        """;

    private readonly VerifiedAgentTokens _verified = new(timeProvider, VerifiedTokenLifetime);
    private readonly ConcurrentQueue<PendingLookup> _lookups = new();
    private int _lookupRunning;

    // Upsert on server_id: the old hash is overwritten (so revoked) in the same statement that
    // bumps the generation.
    private const string EnrollSql = """
        INSERT INTO agent_credentials (server_id, token_hash, generation, enrolled_at, revoked_at)
        VALUES (@serverId, @tokenHash, 1, @at, NULL)
        ON CONFLICT (server_id) DO UPDATE SET
            token_hash = excluded.token_hash,
            generation = agent_credentials.generation + 1,
            enrolled_at = excluded.enrolled_at,
            revoked_at = NULL
        RETURNING generation
        """;

    public async Task<long> EnrollAsync(string serverId, string tokenHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenHash);
        try
        {
            return await EnrollRowAsync(serverId, tokenHash, at, cancellationToken);
        }
        finally
        {
            // Also when it failed: whether the row changed is then unknown, and forgetting is always safe.
            _verified.Invalidate(serverId);
        }
    }

    private Task<long> EnrollRowAsync(string serverId, string tokenHash, DateTimeOffset at, CancellationToken cancellationToken) =>
        connections.WriteAsync(async (connection, transaction) =>
        {
            try
            {
                return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    EnrollSql, new { serverId, tokenHash, at = SqliteTime.ToText(at) }, transaction, cancellationToken: cancellationToken));
            }
            catch (SqliteException ex) when (SqliteErrors.IsUniqueViolation(ex))
            {
                throw new InvalidOperationException($"cannot enrol '{serverId}': its token hash is bound to another server already", ex);
            }
        }, cancellationToken);

    public async Task<AgentCredential?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        if (_verified.TryGet(tokenHash, out var cached)) return cached;
        var lookup = new PendingLookup(tokenHash);
        _lookups.Enqueue(lookup);
        await RunLookupsAsync();
        return await lookup.Answer.Task.WaitAsync(cancellationToken);
    }

    // One caller at a time runs whatever lookups are queued, in batches; the others find their answer done
    // (or being done). Checking the queue again after letting go closes the gap where a lookup was queued
    // just as the runner finished.
    private async Task RunLookupsAsync()
    {
        while (!_lookups.IsEmpty && Interlocked.CompareExchange(ref _lookupRunning, 1, 0) == 0)
        {
            try
            {
                while (!_lookups.IsEmpty) await RunLookupBatchAsync();
            }
            finally
            {
                // A full fence (not a plain release write), so the queue check that follows cannot be
                // read before this store is visible to a caller that just failed to take the turn.
                Interlocked.Exchange(ref _lookupRunning, 0);
            }
        }
    }

    private async Task RunLookupBatchAsync()
    {
        var batch = new List<PendingLookup>();
        while (batch.Count < MaxLookupBatch && _lookups.TryDequeue(out var next)) batch.Add(next);
        if (batch.Count == 0) return;
        try
        {
            var epoch = _verified.Epoch;
            var hashes = batch.Select(l => l.TokenHash).Distinct(StringComparer.Ordinal).ToList();
            var rows = await connections.ReadAsync(async connection => (await connection.QueryAsync<CredentialRow>(new CommandDefinition(
                FindSql, new { hashes }, cancellationToken: CancellationToken.None))).ToList(), CancellationToken.None);
            var found = rows.ToDictionary(row => row.TokenHash, row => new AgentCredential(row.ServerId, row.Generation, SqliteTime.FromText(row.EnrolledAt)), StringComparer.Ordinal);
            _verified.Keep(found.Select(pair => (pair.Key, pair.Value)), epoch);
            foreach (var lookup in batch) lookup.Answer.TrySetResult(found.GetValueOrDefault(lookup.TokenHash));
        }
        catch (Exception ex)
        {
            foreach (var lookup in batch) lookup.Answer.TrySetException(ex);
        }
    }

    public async Task<bool> RevokeAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(serverId);
        try
        {
            return await connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE agent_credentials SET revoked_at = @now WHERE server_id = @serverId AND revoked_at IS NULL",
                new { serverId, now = SqliteTime.ToText(timeProvider.GetUtcNow()) },
                transaction,
                cancellationToken: cancellationToken)) == 1, cancellationToken);
        }
        finally
        {
            _verified.Invalidate(serverId);
        }
    }

    private sealed class PendingLookup(string tokenHash)
    {
        public string TokenHash { get; } = tokenHash;

        public TaskCompletionSource<AgentCredential?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class CredentialRow
    {
        public string TokenHash { get; init; } = "";
        public string ServerId { get; init; } = "";
        public long Generation { get; init; }
        public string EnrolledAt { get; init; } = "";
    }
}
