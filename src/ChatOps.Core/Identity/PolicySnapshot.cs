using System.Collections.Concurrent;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Identity;

/// <summary>A rule as it applies now: stored, or a catalog default (<see cref="IsDefault"/>).</summary>
public sealed record EffectiveRule(string Id, string Role, string Command, string Target, bool IsDefault);

/// <summary>
/// The permission rules at one moment, evaluated without I/O. The rules:
/// <list type="bullet">
/// <item>Admins may do everything (rules restrict the other roles).</item>
/// <item>A command whose rules were never edited has its catalog defaults: each of its allowed roles on <c>*</c>.</item>
/// <item>Once edited, the stored rules are the whole set for that command (possibly none).</item>
/// <item>A user may use a command when one of their roles has a rule for it; may run it on a server
/// when such a rule's target matches the server (<c>*</c>, id, glob or tag).</item>
/// </list>
/// </summary>
public sealed class PolicySnapshot
{
    public const string AnyTarget = "*";

    private readonly ICommandCatalog _catalog;
    private readonly Dictionary<string, IReadOnlyList<EffectiveRule>> _custom = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Risk> _risk = new(StringComparer.Ordinal);
    // Filled on first use. Concurrent: a snapshot is shared by every request until the rules change.
    private readonly ConcurrentDictionary<string, TargetSelector?> _selectors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<EffectiveRule>> _defaults = new(StringComparer.Ordinal);

    public PolicySnapshot(ICommandCatalog catalog, PolicyData data)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        _catalog = catalog;
        foreach (var command in data.Commands)
        {
            if (command.Risk is { } risk) _risk[command.Command] = risk;
            if (command.CustomRules) _custom[command.Command] = [];
        }

        foreach (var group in data.Rules.GroupBy(r => r.Command, StringComparer.Ordinal))
        {
            // Rules of a command not marked custom are leftovers of a reset that raced an edit: ignored.
            if (!_custom.ContainsKey(group.Key)) continue;
            _custom[group.Key] = group.OrderBy(r => r.Role, StringComparer.Ordinal).ThenBy(r => r.Target, StringComparer.Ordinal)
                .Select(r => new EffectiveRule(r.Id, r.Role, r.Command, r.Target, false)).ToList();
        }
    }

    /// <summary>The rules of <paramref name="command"/> as they apply now.</summary>
    public IReadOnlyList<EffectiveRule> RulesFor(string command)
    {
        if (_custom.TryGetValue(command, out var custom)) return custom;
        if (_defaults.TryGetValue(command, out var defaults)) return defaults;
        var definition = _catalog.Find(command);
        if (definition is null) return [];
        // Kept only under the definition's own name, so other spellings cannot grow the dictionary.
        return definition.Name == command
            ? _defaults.GetOrAdd(command, static (name, d) => DefaultRules(name, d), definition)
            : DefaultRules(command, definition);
    }

    /// <summary>Every command's rules, by command name.</summary>
    public IReadOnlyList<EffectiveRule> AllRules => _catalog.All.SelectMany(d => RulesFor(d.Name)).ToList();

    public bool HasCustomRules(string command) => _custom.ContainsKey(command);

    public Risk RiskOf(CommandDefinition definition) => _risk.TryGetValue(definition.Name, out var risk) ? risk : definition.Risk;

    public bool IsRiskOverridden(string command) => _risk.ContainsKey(command);

    /// <summary>The roles with at least one rule for the command (for "it needs one of the roles …").</summary>
    public IReadOnlyList<string> RolesFor(CommandDefinition definition) =>
        RulesFor(definition.Name).Select(r => r.Role).Append(Roles.Admin).Distinct(StringComparer.Ordinal)
            .OrderBy(role => Roles.All.ToList().IndexOf(role)).ToList();

    /// <summary>May <paramref name="user"/> use the command at all (on some target)?</summary>
    public bool MayUse(User user, CommandDefinition definition) =>
        IsAdmin(user) || RulesFor(definition.Name).Any(rule => user.Roles.Contains(rule.Role));

    /// <summary>May <paramref name="user"/> run the command on <paramref name="server"/>?</summary>
    public bool MayRun(User user, CommandDefinition definition, Server server) =>
        IsAdmin(user) || RulesFor(definition.Name).Any(rule => user.Roles.Contains(rule.Role) && TargetMatches(rule.Target, server));

    /// <summary>Where the user's roles allow the command, in words: "on *", "on role:web", "nowhere".</summary>
    public string DescribeScope(User user, CommandDefinition definition)
    {
        if (IsAdmin(user)) return "everywhere";
        var targets = RulesFor(definition.Name).Where(rule => user.Roles.Contains(rule.Role)).Select(rule => rule.Target).Distinct(StringComparer.Ordinal).ToList();
        return targets.Count == 0 ? "nowhere" : "only on " + string.Join(", ", targets);
    }

    private static List<EffectiveRule> DefaultRules(string command, CommandDefinition definition) =>
        definition.AllowedRoles.Select(role => new EffectiveRule(DefaultId(command, role), role, command, AnyTarget, true)).ToList();

    public static string DefaultId(string command, string role) => $"default:{command}:{role}";

    /// <summary>Null when <paramref name="target"/> is a valid rule target, else why not.</summary>
    public static string? CheckTarget(string? target)
    {
        if (target == AnyTarget) return null;
        return TargetSelector.TryParse(target, out _, out var error) ? null : error;
    }

    private static bool IsAdmin(User user) => user.Roles.Contains(Roles.Admin);

    private bool TargetMatches(string target, Server server)
    {
        if (target == AnyTarget) return true;
        // A rule whose target does not parse matches nothing (deny by default).
        var selector = _selectors.GetOrAdd(target, static t => TargetSelector.TryParse(t, out var parsed, out _) ? parsed : null);

        return selector?.Matches(server) ?? false;
    }
}
