using Npgsql;

namespace ChatOps.Postgres.Tests.Support;

/// <summary>One PostgreSQL server for every test class of the collection; each test works in its own schema.</summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    private PostgresServer? _server;
    private NpgsqlDataSource? _admin;

    /// <summary>The test database as the superuser (no schema set: the tests' own helpers add one).</summary>
    public string ConnectionString => Server.ConnectionString;

    /// <summary>Pooled connections for the tests' own checks and clean-up.</summary>
    public NpgsqlDataSource Admin => _admin ?? throw new InvalidOperationException("the server starts in InitializeAsync");

    internal PostgresServer Server => _server ?? throw new InvalidOperationException("the server starts in InitializeAsync");

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        _admin = NpgsqlDataSource.Create(_server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "postgres";
}
