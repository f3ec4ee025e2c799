using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;

namespace ChatOps.Slack.Tests.Support;

/// <summary>
/// A notification ledger on a SQLite file of its own, for tests that build Slack's parts by hand.
/// <see cref="Another"/> opens the same file again, the way a second process would.
/// </summary>
public sealed class TemporaryLedger : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-slack-ledger-").FullName;
    private readonly List<SqliteConnectionFactory> _factories = [];

    private TemporaryLedger()
    {
    }

    public INotificationLedger Ledger { get; private set; } = null!;

    private string DatabasePath => Path.Combine(_folder, "chatops.db");

    public static async Task<TemporaryLedger> CreateAsync()
    {
        var ledger = new TemporaryLedger();
        var connections = ledger.Open();
        await new SqliteMigrator(connections, TimeProvider.System).MigrateAsync();
        ledger.Ledger = new SqliteNotificationLedger(connections);
        return ledger;
    }

    public INotificationLedger Another() => new SqliteNotificationLedger(Open());

    public ValueTask DisposeAsync()
    {
        foreach (var factory in _factories) factory.Dispose();
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    private SqliteConnectionFactory Open()
    {
        var factory = new SqliteConnectionFactory(new SqliteStoreOptions { Path = DatabasePath });
        _factories.Add(factory);
        return factory;
    }
}
