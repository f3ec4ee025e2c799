using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

/// <summary>One row per server: enrolling again overwrites the token hash, which revokes the old token in the same statement.</summary>
public sealed class PostgresAgentCredentialStore(PostgresDataSources dataSources, TimeProvider timeProvider) : IAgentCredentialStore
{
    // Upsert on server_id: the old hash is overwritten (so revoked) in the same statement that
    // bumps the generation; the row lock it takes orders concurrent enrolments of one server.
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

    /// <exception cref="InvalidOperationException">The token hash is bound to another server.</exception>
    public Task<long> EnrollAsync(string serverId, string tokenHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenHash);

        // Not repeated after a lost connection: a second run would bump the generation twice.
        return dataSources.RunAsync(async connection =>
        {
            try
            {
                return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    EnrollSql, new { serverId, tokenHash, at = PostgresTime.ToDb(at) }, cancellationToken: cancellationToken));
            }
            catch (PostgresException ex) when (PostgresErrors.IsUniqueViolation(ex))
            {
                throw new InvalidOperationException($"cannot enrol '{serverId}': its token hash is bound to another server already", ex);
            }
        }, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<AgentCredential?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        return dataSources.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<CredentialRow>(new CommandDefinition(
                """
                SELECT server_id AS ServerId, generation AS Generation, enrolled_at AS EnrolledAt
                FROM agent_credentials WHERE token_hash = @tokenHash AND revoked_at IS NULL
                """,
                new { tokenHash },
                cancellationToken: cancellationToken));
            return row is null ? null : new AgentCredential(row.ServerId, row.Generation, PostgresTime.FromDb(row.EnrolledAt));
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<bool> RevokeAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(serverId);
        return dataSources.RunAsync(
            async connection => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE agent_credentials SET revoked_at = @now WHERE server_id = @serverId AND revoked_at IS NULL",
                new { serverId, now = PostgresTime.ToDb(timeProvider.GetUtcNow()) },
                cancellationToken: cancellationToken)) == 1,
            RetryPolicy.OnlyWhenNothingApplied,
            cancellationToken);
    }

    private sealed class CredentialRow
    {
        public string ServerId { get; init; } = "";
        public long Generation { get; init; }
        public DateTime EnrolledAt { get; init; }
    }
}
