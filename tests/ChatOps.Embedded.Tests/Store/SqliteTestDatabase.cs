using ChatOps.Conformance.Store;
using ChatOps.Embedded.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Embedded.Tests.Store;

/// <summary>A database file in its own temporary folder, deleted (with the folder) on dispose.</summary>
internal sealed class SqliteTestDatabase : IAsyncDisposable
{
    private readonly List<SqliteConnectionFactory> _factories = [];

    private SqliteTestDatabase(string folder)
    {
        Folder = folder;
        Path = System.IO.Path.Combine(folder, "nested", "chatops.db");
        Connections = NewConnectionFactory();
    }

    public string Folder { get; }

    /// <summary>In a subfolder that does not exist yet: the factory must create it.</summary>
    public string Path { get; }

    public SqliteConnectionFactory Connections { get; }

    public FakeTimeProvider Time { get; } = new(StoreTestData.T0);

    /// <summary>An empty database, migrated to the newest schema unless <paramref name="migrate"/> is false.</summary>
    public static async Task<SqliteTestDatabase> CreateAsync(bool migrate = true)
    {
        var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "chatops-sqlite-tests", Guid.NewGuid().ToString("N"));
        var database = new SqliteTestDatabase(folder);
        if (migrate)
        {
            await new SqliteMigrator(database.Connections, database.Time).MigrateAsync();
        }

        return database;
    }

    /// <summary>Another factory on the same file: behaves like a second process (no shared write gate).</summary>
    public SqliteConnectionFactory NewConnectionFactory()
    {
        var factory = new SqliteConnectionFactory(new SqliteStoreOptions { Path = Path });
        _factories.Add(factory);
        return factory;
    }

    public StoreSet CreateStores(SqliteConnectionFactory? connections = null)
    {
        connections ??= Connections;
        return new StoreSet(
            new SqliteServerStore(connections),
            new SqliteAgentCredentialStore(connections, Time),
            new SqliteCommandStore(connections),
            new SqliteAuditStore(connections),
            new SqliteUserStore(connections),
            new SqliteChatThreadStore(connections));
    }

    public ValueTask DisposeAsync()
    {
        foreach (var factory in _factories)
        {
            factory.Dispose();
        }

        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
