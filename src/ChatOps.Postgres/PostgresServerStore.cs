using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

public sealed class PostgresServerStore(PostgresDataSources dataSources) : IServerStore
{
    private const string Columns = "id AS Id, name AS Name, tags::text AS Tags, created_at AS CreatedAt";

    public Task UpsertAsync(Server server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrWhiteSpace(server.Id);
        ArgumentNullException.ThrowIfNull(server.Tags);
        return dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO servers (id, name, tags, created_at) VALUES (@Id, @Name, @Tags::jsonb, @CreatedAt)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, tags = excluded.tags
            """,
            new { server.Id, server.Name, Tags = PostgresJson.FromList(server.Tags), CreatedAt = PostgresTime.ToDb(server.CreatedAt) },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return dataSources.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ServerRow>(new CommandDefinition(
                $"SELECT {Columns} FROM servers WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return row?.ToServer();
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<IReadOnlyList<Server>> ListAsync(CancellationToken cancellationToken = default) =>
        dataSources.RunAsync<IReadOnlyList<Server>>(async connection =>
        {
            var rows = await connection.QueryAsync<ServerRow>(new CommandDefinition(
                $"SELECT {Columns} FROM servers ORDER BY id", cancellationToken: cancellationToken));
            return rows.Select(row => row.ToServer()).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return dataSources.RunAsync(
            async connection => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM servers WHERE id = @id", new { id }, cancellationToken: cancellationToken)) == 1,
            RetryPolicy.OnlyWhenNothingApplied,
            cancellationToken);
    }

    private sealed class ServerRow
    {
        public string Id { get; init; } = "";
        public string? Name { get; init; }
        public string Tags { get; init; } = "[]";
        public DateTime CreatedAt { get; init; }

        public Server ToServer() => new(Id, Name, PostgresJson.ToList(Tags, "servers.tags"), PostgresTime.FromDb(CreatedAt));
    }
}
