using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteServerStore(SqliteConnectionFactory connections) : IServerStore
{
    private const string Columns = "id AS Id, name AS Name, tags AS Tags, created_at AS CreatedAt";

    public Task UpsertAsync(Server server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrWhiteSpace(server.Id);
        ArgumentNullException.ThrowIfNull(server.Tags);
        return connections.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO servers (id, name, tags, created_at) VALUES (@Id, @Name, @Tags, @CreatedAt)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, tags = excluded.tags
            """,
            new { server.Id, server.Name, Tags = SqliteJson.FromList(server.Tags), CreatedAt = SqliteTime.ToText(server.CreatedAt) },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return connections.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ServerRow>(new CommandDefinition(
                $"SELECT {Columns} FROM servers WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return row?.ToServer();
        }, cancellationToken);
    }

    public Task<IReadOnlyList<Server>> ListAsync(CancellationToken cancellationToken = default) =>
        connections.ReadAsync<IReadOnlyList<Server>>(async connection =>
        {
            var rows = await connection.QueryAsync<ServerRow>(new CommandDefinition(
                $"SELECT {Columns} FROM servers ORDER BY id", cancellationToken: cancellationToken));
            return rows.Select(row => row.ToServer()).ToList();
        }, cancellationToken);

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM servers WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    private sealed class ServerRow
    {
        public string Id { get; init; } = "";
        public string? Name { get; init; }
        public string Tags { get; init; } = "[]";
        public string CreatedAt { get; init; } = "";

        public Server ToServer() => new(Id, Name, SqliteJson.ToList(Tags, "servers.tags"), SqliteTime.FromText(CreatedAt));
    }
}
