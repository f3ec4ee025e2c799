using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;

namespace ChatOps.Embedded.Sqlite;

/// <summary>Rules as JSON documents keyed by name (a rule is always read and written whole).</summary>
public sealed class SqliteAlertRuleStore(SqliteConnectionFactory connections) : IAlertRuleStore
{
    public Task UpsertAsync(AlertRule rule, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentException.ThrowIfNullOrWhiteSpace(rule.Name, nameof(rule));
        return connections.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alert_rules (name, definition, updated_at) VALUES (@Name, @Definition, @UpdatedAt)
            ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
            """,
            new { rule.Name, Definition = AlertText.ToJson(rule), UpdatedAt = SqliteTime.ToText(at) },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<AlertRule?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return connections.ReadAsync(async connection =>
        {
            var json = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                "SELECT definition FROM alert_rules WHERE name = @name", new { name }, cancellationToken: cancellationToken));
            return json is null ? null : AlertText.FromJson<AlertRule>(json, "alert_rules.definition");
        }, cancellationToken);
    }

    public Task<IReadOnlyList<AlertRule>> ListAsync(CancellationToken cancellationToken = default) =>
        connections.ReadAsync<IReadOnlyList<AlertRule>>(async connection =>
        {
            var rows = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT definition FROM alert_rules ORDER BY name", cancellationToken: cancellationToken));
            return rows.Select(json => AlertText.FromJson<AlertRule>(json, "alert_rules.definition")).ToList();
        }, cancellationToken);

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM alert_rules WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken)) == 1, cancellationToken);
    }
}
