using Risk = ChatOps.Core.Commands.Risk;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqlitePolicyStore(SqliteConnectionFactory connections) : IPolicyStore
{
    public Task<PolicyData> LoadAsync(CancellationToken cancellationToken = default) =>
        connections.ReadAsync(async connection =>
        {
            var rules = await connection.QueryAsync<RuleRow>(new CommandDefinition(
                "SELECT id AS Id, role AS Role, command AS Command, target AS Target, created_at AS CreatedAt, created_by AS CreatedBy FROM permission_rules ORDER BY command, role, target",
                cancellationToken: cancellationToken));
            var commands = await connection.QueryAsync<CommandRow>(new CommandDefinition(
                "SELECT command AS Command, risk AS Risk, custom_rules AS CustomRules, updated_at AS UpdatedAt FROM command_policies ORDER BY command",
                cancellationToken: cancellationToken));
            return new PolicyData(
                rules.Select(r => new PermissionRule(r.Id, r.Role, r.Command, r.Target, SqliteTime.FromText(r.CreatedAt), r.CreatedBy)).ToList(),
                commands.Select(c => new CommandPolicy(c.Command, ParseRisk(c.Risk), c.CustomRules != 0, SqliteTime.FromText(c.UpdatedAt))).ToList());
        }, cancellationToken);

    public Task ReplaceCommandRulesAsync(string command, IReadOnlyList<PermissionRule> rules, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Any(r => r.Command != command)) throw new ArgumentException($"every rule must be for '{command}'", nameof(rules));
        return connections.WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM permission_rules WHERE command = @command", new { command }, transaction, cancellationToken: cancellationToken));
            foreach (var rule in rules)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO permission_rules (id, role, command, target, created_at, created_by) VALUES (@Id, @Role, @Command, @Target, @CreatedAt, @CreatedBy)",
                    new { rule.Id, rule.Role, rule.Command, rule.Target, CreatedAt = SqliteTime.ToText(rule.CreatedAt), rule.CreatedBy },
                    transaction,
                    cancellationToken: cancellationToken));
            }

            return await UpsertPolicyAsync(connection, transaction, command, "custom_rules = 1", 1, null, keepRisk: true, at, cancellationToken);
        }, cancellationToken);
    }

    public Task ResetCommandRulesAsync(string command, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        return connections.WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM permission_rules WHERE command = @command", new { command }, transaction, cancellationToken: cancellationToken));
            return await UpsertPolicyAsync(connection, transaction, command, "custom_rules = 0", 0, null, keepRisk: true, at, cancellationToken);
        }, cancellationToken);
    }

    public Task SetRiskAsync(string command, Risk? risk, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        var text = risk?.ToString().ToLowerInvariant();
        return connections.WriteAsync((connection, transaction) =>
            UpsertPolicyAsync(connection, transaction, command, "risk = excluded.risk", 0, text, keepRisk: false, at, cancellationToken), cancellationToken);
    }

    // The SET clause is one of three constants above, never caller text.
    private static Task<int> UpsertPolicyAsync(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction,
        string command, string set, int customRules, string? risk, bool keepRisk, DateTimeOffset at, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO command_policies (command, risk, custom_rules, updated_at) VALUES (@command, @risk, @customRules, @at)
            ON CONFLICT (command) DO UPDATE SET {set}, updated_at = excluded.updated_at
            """,
            new { command, risk = keepRisk ? null : risk, customRules, at = SqliteTime.ToText(at) },
            transaction,
            cancellationToken: cancellationToken));

    private static Risk? ParseRisk(string? text) => text switch
    {
        null => null,
        "low" => Risk.Low,
        "high" => Risk.High,
        _ => throw new InvalidDataException($"command_policies.risk holds '{text}', which is not a risk"),
    };

    private sealed class RuleRow
    {
        public string Id { get; init; } = "";
        public string Role { get; init; } = "";
        public string Command { get; init; } = "";
        public string Target { get; init; } = "";
        public string CreatedAt { get; init; } = "";
        public string CreatedBy { get; init; } = "";
    }

    private sealed class CommandRow
    {
        public string Command { get; init; } = "";
        public string? Risk { get; init; }
        public long CustomRules { get; init; }
        public string UpdatedAt { get; init; } = "";
    }
}
