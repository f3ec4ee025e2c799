using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;

namespace ChatOps.Postgres;

public sealed class PostgresUserStore(PostgresDataSources dataSources) : IUserStore
{
    private const string UserColumns = "u.id AS Id, u.display_name AS DisplayName, u.roles::text AS Roles, u.created_at AS CreatedAt";
    private const string ApiKeyColumns = "id AS Id, user_id AS UserId, name AS Name, key_hash AS KeyHash, created_at AS CreatedAt, revoked_at AS RevokedAt";

    /// <summary>Creates or updates a user; like servers, keeps the original <see cref="User.CreatedAt"/>.</summary>
    public Task UpsertUserAsync(User user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(user.Id, nameof(user));
        ArgumentNullException.ThrowIfNull(user.Roles, nameof(user));
        return dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO users (id, display_name, roles, created_at) VALUES (@Id, @DisplayName, @Roles::jsonb, @CreatedAt)
            ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, roles = excluded.roles
            """,
            new { user.Id, user.DisplayName, Roles = PostgresJson.FromList(user.Roles), CreatedAt = PostgresTime.ToDb(user.CreatedAt) },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<User?> GetUserAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return QuerySingleUserAsync($"SELECT {UserColumns} FROM users u WHERE u.id = @id", new { id }, cancellationToken);
    }

    public Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        dataSources.RunAsync<IReadOnlyList<User>>(async connection =>
        {
            var rows = await connection.QueryAsync<UserRow>(new CommandDefinition(
                $"SELECT {UserColumns} FROM users u ORDER BY u.id", cancellationToken: cancellationToken));
            return rows.Select(row => row.ToUser()).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);

    /// <exception cref="InvalidOperationException">There is no such user.</exception>
    public Task LinkIdentityAsync(string identity, string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identity);
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return dataSources.RunAsync(async connection =>
        {
            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO user_identities (identity, user_id) VALUES (@identity, @userId)
                    ON CONFLICT (identity) DO UPDATE SET user_id = excluded.user_id
                    """,
                    new { identity, userId },
                    cancellationToken: cancellationToken));
            }
            catch (PostgresException ex) when (PostgresErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"cannot link identity '{identity}': there is no user '{userId}'", ex);
            }
        }, RetryPolicy.Idempotent, cancellationToken);
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
        return dataSources.RunAsync<IReadOnlyList<string>>(async connection =>
            (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT identity FROM user_identities WHERE user_id = @userId ORDER BY identity",
                new { userId },
                cancellationToken: cancellationToken))).ToList(), RetryPolicy.Idempotent, cancellationToken);
    }

    /// <exception cref="InvalidOperationException">The id or hash is taken, or there is no such user.</exception>
    public Task CreateApiKeyAsync(ApiKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(key.Id, nameof(key));
        ArgumentException.ThrowIfNullOrWhiteSpace(key.KeyHash, nameof(key));

        // Not repeated after a lost connection: the retry would collide with its own row.
        return dataSources.RunAsync(async connection =>
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
                        CreatedAt = PostgresTime.ToDb(key.CreatedAt),
                        RevokedAt = PostgresTime.ToDb(key.RevokedAt),
                    },
                    cancellationToken: cancellationToken));
            }
            catch (PostgresException ex) when (PostgresErrors.IsForeignKeyViolation(ex))
            {
                throw new InvalidOperationException($"cannot create API key '{key.Id}': there is no user '{key.UserId}'", ex);
            }
            catch (PostgresException ex) when (PostgresErrors.IsUniqueViolation(ex))
            {
                throw new InvalidOperationException($"cannot create API key '{key.Id}': its id or hash exists already", ex);
            }
        }, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<ApiKey?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyHash);
        return dataSources.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                $"SELECT {ApiKeyColumns} FROM api_keys WHERE key_hash = @keyHash AND revoked_at IS NULL",
                new { keyHash },
                cancellationToken: cancellationToken));
            return row?.ToApiKey();
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return dataSources.RunAsync(
            async connection => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET revoked_at = @at WHERE id = @keyId AND revoked_at IS NULL",
                new { keyId, at = PostgresTime.ToDb(at) },
                cancellationToken: cancellationToken)) == 1,
            RetryPolicy.OnlyWhenNothingApplied,
            cancellationToken);
    }

    /// <summary>All keys, revoked ones included, oldest first.</summary>
    public Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        dataSources.RunAsync<IReadOnlyList<ApiKey>>(async connection =>
        {
            var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
                $"SELECT {ApiKeyColumns} FROM api_keys ORDER BY created_at, id", cancellationToken: cancellationToken));
            return rows.Select(row => row.ToApiKey()).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);

    private Task<User?> QuerySingleUserAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        dataSources.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            return row?.ToUser();
        }, RetryPolicy.Idempotent, cancellationToken);

    private sealed class UserRow
    {
        public string Id { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string Roles { get; init; } = "[]";
        public DateTime CreatedAt { get; init; }

        public User ToUser() => new(Id, DisplayName, PostgresJson.ToList(Roles, "users.roles"), PostgresTime.FromDb(CreatedAt));
    }

    private sealed class ApiKeyRow
    {
        public string Id { get; init; } = "";
        public string UserId { get; init; } = "";
        public string Name { get; init; } = "";
        public string KeyHash { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime? RevokedAt { get; init; }

        public ApiKey ToApiKey() => new(Id, UserId, Name, KeyHash, PostgresTime.FromDb(CreatedAt), PostgresTime.FromDb(RevokedAt));
    }
}
