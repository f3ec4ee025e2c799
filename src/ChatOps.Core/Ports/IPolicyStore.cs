using ChatOps.Core.Commands;

namespace ChatOps.Core.Ports;

/// <summary>
/// "Users with <see cref="Role"/> may run <see cref="Command"/> on servers matching <see cref="Target"/>".
/// <see cref="Target"/> is <c>*</c> (every server) or a target expression: a server id, a glob
/// (<c>web-*</c>) or a tag (<c>role:web</c>).
/// </summary>
public sealed record PermissionRule(string Id, string Role, string Command, string Target, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>
/// What an admin changed about one command: its risk (null keeps the catalog's), and whether its
/// rules are the stored ones (<see cref="CustomRules"/>) or the catalog's defaults (its allowed roles on
/// every server).
/// </summary>
public sealed record CommandPolicy(string Command, Risk? Risk, bool CustomRules, DateTimeOffset UpdatedAt);

/// <summary>Everything stored about permissions, read in one go so a decision sees one consistent state.</summary>
public sealed record PolicyData(IReadOnlyList<PermissionRule> Rules, IReadOnlyList<CommandPolicy> Commands)
{
    public static readonly PolicyData Empty = new([], []);
}

/// <summary>
/// The permission rules and per-command settings, as data (admins edit them on the page).
/// Same failure contract as the other stores: errors surface, never as "no rules".
/// </summary>
public interface IPolicyStore
{
    Task<PolicyData> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes <paramref name="rules"/> the whole rule set of <paramref name="command"/> (in one
    /// transaction) and marks the command as having custom rules, even when the list is empty.
    /// </summary>
    Task ReplaceCommandRulesAsync(string command, IReadOnlyList<PermissionRule> rules, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Drops the command's stored rules, so the catalog's defaults apply again.</summary>
    Task ResetCommandRulesAsync(string command, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Sets (or, with null, clears) the command's risk override.</summary>
    Task SetRiskAsync(string command, Risk? risk, DateTimeOffset at, CancellationToken cancellationToken = default);
}
