using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

/// <summary>Rules as jsonb documents keyed by name (a rule is always read and written whole).</summary>
public sealed class PostgresAlertRuleStore(PostgresDataSources dataSources) : IAlertRuleStore
{
    private const string Column = "alert_rules.definition";

    public Task UpsertAsync(AlertRule rule, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentException.ThrowIfNullOrWhiteSpace(rule.Name, nameof(rule));
        return dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alert_rules (name, definition, updated_at) VALUES (@Name, @Definition::jsonb, @UpdatedAt)
            ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
            """,
            new { rule.Name, Definition = AlertText.ToJson(rule), UpdatedAt = PostgresTime.ToDb(at) },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<AlertRule?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return dataSources.RunAsync(async connection =>
        {
            var json = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                "SELECT definition::text FROM alert_rules WHERE name = @name", new { name }, cancellationToken: cancellationToken));
            return json is null ? null : AlertText.FromJson<AlertRule>(json, Column);
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<IReadOnlyList<AlertRule>> ListAsync(CancellationToken cancellationToken = default) =>
        dataSources.RunAsync<IReadOnlyList<AlertRule>>(async connection =>
        {
            var rows = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT definition::text FROM alert_rules ORDER BY name", cancellationToken: cancellationToken));
            return rows.Select(json => AlertText.FromJson<AlertRule>(json, Column)).ToList();
        }, RetryPolicy.Idempotent, cancellationToken);

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM alert_rules WHERE name = @name", new { name }, cancellationToken: cancellationToken)) == 1,
            RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }
}
