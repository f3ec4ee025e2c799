using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteUserAccountStore(SqliteConnectionFactory connections) : IUserAccountStore
{
    public Task SetPasswordHashAsync(string userId, string passwordHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentException.ThrowIfNullOrWhiteSpace(passwordHash);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO user_passwords (user_id, password_hash, updated_at) VALUES (@userId, @passwordHash, @at)
                    ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at
                    """,
                    new { userId, passwordHash, at = SqliteTime.ToText(at) },
                    transaction,
                    cancellationToken: cancellationToken));
            }
            catch (SqliteException ex) when (SqliteErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"cannot set a password: there is no user '{userId}'", ex);
            }
        }, cancellationToken);
    }

    public Task<string?> GetPasswordHashAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return connections.ReadAsync(connection => connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT password_hash FROM user_passwords WHERE user_id = @userId", new { userId }, cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<bool> UnlinkIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_identities WHERE identity = @identity", new { identity }, transaction, cancellationToken: cancellationToken)) == 1, cancellationToken);
    }
}
