using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

/// <summary>One row per server: enrolling again overwrites the token hash, which revokes the old token in the same statement.</summary>
public sealed class SqliteAgentCredentialStore(SqliteConnectionFactory connections, TimeProvider timeProvider) : IAgentCredentialStore
{
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

    public Task<long> EnrollAsync(string serverId, string tokenHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenHash);
        return connections.WriteAsync(async (connection, transaction) =>
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
    }

    public Task<AgentCredential?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        return connections.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<CredentialRow>(new CommandDefinition(
                """
                SELECT server_id AS ServerId, generation AS Generation, enrolled_at AS EnrolledAt
                FROM agent_credentials WHERE token_hash = @tokenHash AND revoked_at IS NULL
                """,
                new { tokenHash },
                cancellationToken: cancellationToken));
            return row is null ? null : new AgentCredential(row.ServerId, row.Generation, SqliteTime.FromText(row.EnrolledAt));
        }, cancellationToken);
    }

    public Task<bool> RevokeAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(serverId);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE agent_credentials SET revoked_at = @now WHERE server_id = @serverId AND revoked_at IS NULL",
            new { serverId, now = SqliteTime.ToText(timeProvider.GetUtcNow()) },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    private sealed class CredentialRow
    {
        public string ServerId { get; init; } = "";
        public long Generation { get; init; }
        public string EnrolledAt { get; init; } = "";
    }
}
