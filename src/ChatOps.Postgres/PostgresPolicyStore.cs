using System.Data;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;
using Npgsql;
using Risk = ChatOps.Core.Commands.Risk;

namespace ChatOps.Postgres;

/// <summary>Permission rules and per-command policies; a command's rule set is replaced or reset in one transaction.</summary>
public sealed class PostgresPolicyStore(PostgresDataSources dataSources) : IPolicyStore
{
    /// <summary>Rules and policies from one snapshot, so a decision never sees half of an admin's edit.</summary>
    public Task<PolicyData> LoadAsync(CancellationToken cancellationToken = default) =>
        dataSources.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            var rules = await connection.QueryAsync<RuleRow>(new CommandDefinition(
                "SELECT id AS Id, role AS Role, command AS Command, target AS Target, created_at AS CreatedAt, created_by AS CreatedBy FROM permission_rules ORDER BY command, role, target, id",
                transaction: transaction,
                cancellationToken: cancellationToken));
            var commands = await connection.QueryAsync<CommandRow>(new CommandDefinition(
                "SELECT command AS Command, risk AS Risk, custom_rules AS CustomRules, updated_at AS UpdatedAt FROM command_policies ORDER BY command",
                transaction: transaction,
                cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return new PolicyData(
                rules.Select(r => new PermissionRule(r.Id, r.Role, r.Command, r.Target, PostgresTime.FromDb(r.CreatedAt), r.CreatedBy)).ToList(),
                commands.Select(c => new CommandPolicy(c.Command, ParseRisk(c.Risk), c.CustomRules, PostgresTime.FromDb(c.UpdatedAt))).ToList());
        }, RetryPolicy.Idempotent, cancellationToken);

    /// <exception cref="InvalidOperationException">Two of the rules share an id, or a rule's id belongs to another command's rule.</exception>
    public Task ReplaceCommandRulesAsync(string command, IReadOnlyList<PermissionRule> rules, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Any(r => r.Command != command))
        {
            throw new ArgumentException($"every rule must be for '{command}'", nameof(rules));
        }

        // Delete, insert and upsert together end in the same state however often they run.
        return dataSources.InTransactionAsync(async (connection, transaction) =>
        {
            await DeleteRulesAsync(connection, transaction, command, cancellationToken);
            foreach (var rule in rules)
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO permission_rules (id, role, command, target, created_at, created_by) VALUES (@Id, @Role, @Command, @Target, @CreatedAt, @CreatedBy)",
                        new
                        {
                            rule.Id,
                            rule.Role,
                            rule.Command,
                            rule.Target,
                            CreatedAt = PostgresTime.ToDb(rule.CreatedAt),
                            CreatedBy = PostgresText.WithoutNul(rule.CreatedBy),
                        },
                        transaction,
                        cancellationToken: cancellationToken));
                }
                catch (PostgresException ex) when (PostgresErrors.IsUniqueViolation(ex))
                {
                    throw new InvalidOperationException($"cannot store the rules of '{command}': rule id '{rule.Id}' is taken", ex);
                }
            }

            return await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO command_policies (command, risk, custom_rules, updated_at) VALUES (@command, NULL, true, @at)
                ON CONFLICT (command) DO UPDATE SET custom_rules = true, updated_at = excluded.updated_at
                """,
                new { command, at = PostgresTime.ToDb(at) },
                transaction,
                cancellationToken: cancellationToken));
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task ResetCommandRulesAsync(string command, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        return dataSources.InTransactionAsync(async (connection, transaction) =>
        {
            await DeleteRulesAsync(connection, transaction, command, cancellationToken);
            return await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO command_policies (command, risk, custom_rules, updated_at) VALUES (@command, NULL, false, @at)
                ON CONFLICT (command) DO UPDATE SET custom_rules = false, updated_at = excluded.updated_at
                """,
                new { command, at = PostgresTime.ToDb(at) },
                transaction,
                cancellationToken: cancellationToken));
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task SetRiskAsync(string command, Risk? risk, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        var text = risk switch
        {
            null => null,
            Risk.Low => "low",
            Risk.High => "high",
            _ => throw new ArgumentOutOfRangeException(nameof(risk), risk, "not a risk"),
        };
        return dataSources.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO command_policies (command, risk, custom_rules, updated_at) VALUES (@command, @risk, false, @at)
            ON CONFLICT (command) DO UPDATE SET risk = excluded.risk, updated_at = excluded.updated_at
            """,
            new { command, risk = text, at = PostgresTime.ToDb(at) },
            cancellationToken: cancellationToken)), RetryPolicy.Idempotent, cancellationToken);
    }

    private static Task<int> DeleteRulesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string command, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM permission_rules WHERE command = @command", new { command }, transaction, cancellationToken: cancellationToken));

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
        public DateTime CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed class CommandRow
    {
        public string Command { get; init; } = "";
        public string? Risk { get; init; }
        public bool CustomRules { get; init; }
        public DateTime UpdatedAt { get; init; }
    }
}
