namespace ChatOps.Embedded.Sqlite;

/// <summary>Where the embedded store keeps its database (configuration section <c>ChatOps:Sqlite</c>).</summary>
public sealed class SqliteStoreOptions
{
    public const string DefaultPath = "./data/chatops.db";

    /// <summary>The database file; relative paths resolve against the working directory. Its folder is created if missing.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>How long a writer waits for another writer (another process on the same file) before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
