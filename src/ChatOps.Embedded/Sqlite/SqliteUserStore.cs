using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteUserStore(SqliteConnectionFactory connections) : IUserStore
{
    private const string UserColumns = "u.id AS Id, u.display_name AS DisplayName, u.roles AS Roles, u.created_at AS CreatedAt";
    private const string ApiKeyColumns = "id AS Id, user_id AS UserId, name AS Name, key_hash AS KeyHash, created_at AS CreatedAt, revoked_at AS RevokedAt";

    /// <summary>Creates or updates a user; like servers, keeps the original <see cref="User.CreatedAt"/>.</summary>
    public Task UpsertUserAsync(User user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(user.Id, nameof(user));
        ArgumentNullException.ThrowIfNull(user.Roles, nameof(user));
        return connections.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO users (id, display_name, roles, created_at) VALUES (@Id, @DisplayName, @Roles, @CreatedAt)
            ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, roles = excluded.roles
            """,
            new { user.Id, user.DisplayName, Roles = SqliteJson.FromList(user.Roles), CreatedAt = SqliteTime.ToText(user.CreatedAt) },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<User?> GetUserAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return QuerySingleUserAsync($"SELECT {UserColumns} FROM users u WHERE u.id = @id", new { id }, cancellationToken);
    }

    public Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        connections.ReadAsync<IReadOnlyList<User>>(async connection =>
        {
            var rows = await connection.QueryAsync<UserRow>(new CommandDefinition(
                $"SELECT {UserColumns} FROM users u ORDER BY u.id", cancellationToken: cancellationToken));
            return rows.Select(row => row.ToUser()).ToList();
        }, cancellationToken);

    public Task LinkIdentityAsync(string identity, string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identity);
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO user_identities (identity, user_id) VALUES (@identity, @userId)
                    ON CONFLICT (identity) DO UPDATE SET user_id = excluded.user_id
                    """,
                    new { identity, userId },
                    transaction,
                    cancellationToken: cancellationToken));
            }
            catch (SqliteException ex) when (SqliteErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"cannot link identity '{identity}': there is no user '{userId}'", ex);
            }
        }, cancellationToken);
    }

    public Task<User?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return QuerySingleUserAsync(
            $"SELECT {UserColumns} FROM user_identities i JOIN users u ON u.id = i.user_id WHERE i.identity = @identity",
            new { identity },
            cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListIdentitiesAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return connections.ReadAsync<IReadOnlyList<string>>(async connection =>
            (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT identity FROM user_identities WHERE user_id = @userId ORDER BY identity",
                new { userId },
                cancellationToken: cancellationToken))).ToList(), cancellationToken);
    }

    public Task CreateApiKeyAsync(ApiKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(key.Id, nameof(key));
        ArgumentException.ThrowIfNullOrWhiteSpace(key.KeyHash, nameof(key));
        return connections.WriteAsync(async (connection, transaction) =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO api_keys (id, user_id, name, key_hash, created_at, revoked_at)
                    VALUES (@Id, @UserId, @Name, @KeyHash, @CreatedAt, @RevokedAt)
                    """,
                    new
                    {
                        key.Id,
                        key.UserId,
                        key.Name,
                        key.KeyHash,
                        CreatedAt = SqliteTime.ToText(key.CreatedAt),
                        RevokedAt = SqliteTime.ToText(key.RevokedAt),
                    },
                    transaction,
                    cancellationToken: cancellationToken));
            }
            catch (SqliteException ex) when (SqliteErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"cannot create API key '{key.Id}': there is no user '{key.UserId}'", ex);
            }
            catch (SqliteException ex) when (SqliteErrors.IsUniqueViolation(ex))
            {
                throw new InvalidOperationException($"cannot create API key '{key.Id}': its id or hash exists already", ex);
            }
        }, cancellationToken);
    }

    public Task<ApiKey?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyHash);
        return connections.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                $"SELECT {ApiKeyColumns} FROM api_keys WHERE key_hash = @keyHash AND revoked_at IS NULL",
                new { keyHash },
                cancellationToken: cancellationToken));
            return row?.ToApiKey();
        }, cancellationToken);
    }

    public Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @at WHERE id = @keyId AND revoked_at IS NULL",
            new { keyId, at = SqliteTime.ToText(at) },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    /// <summary>All keys, revoked ones included, oldest first.</summary>
    public Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        connections.ReadAsync<IReadOnlyList<ApiKey>>(async connection =>
        {
            var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
                $"SELECT {ApiKeyColumns} FROM api_keys ORDER BY created_at, id", cancellationToken: cancellationToken));
            return rows.Select(row => row.ToApiKey()).ToList();
        }, cancellationToken);

    private Task<User?> QuerySingleUserAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        connections.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return row?.ToUser();
        }, cancellationToken);

    private sealed class UserRow
    {
        public string Id { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string Roles { get; init; } = "[]";
        public string CreatedAt { get; init; } = "";

        public User ToUser() => new(Id, DisplayName, SqliteJson.ToList(Roles, "users.roles"), SqliteTime.FromText(CreatedAt));
    }

    private sealed class ApiKeyRow
    {
        public string Id { get; init; } = "";
        public string UserId { get; init; } = "";
        public string Name { get; init; } = "";
        public string KeyHash { get; init; } = "";
        public string CreatedAt { get; init; } = "";
        public string? RevokedAt { get; init; }

        public ApiKey ToApiKey() => new(Id, UserId, Name, KeyHash, SqliteTime.FromText(CreatedAt), SqliteTime.FromNullableText(RevokedAt));
    }
}
