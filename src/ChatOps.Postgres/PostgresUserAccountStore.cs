using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

/// <summary>Local password hashes (one per user) and unlinking chat identities.</summary>
public sealed class PostgresUserAccountStore(PostgresDataSources dataSources) : IUserAccountStore
{
    /// <exception cref="InvalidOperationException">There is no such user.</exception>
    public Task SetPasswordHashAsync(string userId, string passwordHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentException.ThrowIfNullOrWhiteSpace(passwordHash);
        return dataSources.RunAsync(async connection =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO user_passwords (user_id, password_hash, updated_at) VALUES (@userId, @passwordHash, @at)
                    ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at
                    """,
                    new { userId, passwordHash, at = PostgresTime.ToDb(at) },
                    cancellationToken: cancellationToken));
            }
            catch (PostgresException ex) when (PostgresErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"cannot set a password: there is no user '{userId}'", ex);
            }
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    // From the primary: a sign-in right after a password change must see the new hash.
    public Task<string?> GetPasswordHashAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return dataSources.RunAsync(connection => connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT password_hash FROM user_passwords WHERE user_id = @userId", new { userId }, cancellationToken: cancellationToken)),
            RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<bool> UnlinkIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        // Not repeated after a lost connection: a retry would report its own delete as "was not linked".
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_identities WHERE identity = @identity", new { identity }, cancellationToken: cancellationToken)) == 1,
            RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }
}
