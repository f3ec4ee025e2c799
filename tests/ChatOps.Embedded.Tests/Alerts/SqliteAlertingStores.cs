using ChatOps.Conformance.Alerts;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Tests.Store;

namespace ChatOps.Embedded.Tests.Alerts;

internal static class SqliteAlertingStores
{
    /// <summary>The five alerting stores over <paramref name="connections"/> (default: the database's own factory).</summary>
    public static AlertingStores CreateAlertingStores(this SqliteTestDatabase database, SqliteConnectionFactory? connections = null)
    {
        connections ??= database.Connections;
        return new AlertingStores(
            new SqliteAlertStore(connections),
            new SqliteAlertRuleStore(connections),
            new SqliteSilenceStore(connections),
            new SqliteNotificationLedger(connections),
            new SqliteNotificationOutbox(connections));
    }
}
