using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;

namespace ChatOps.Core.Identity;

/// <summary>The answer to an edit: done, or why not (in words for the admin).</summary>
public sealed record PolicyEditResult(bool Ok, string Message, EffectiveRule? Rule = null)
{
    public static PolicyEditResult Refused(string message) => new(false, message);
}

/// <summary>
/// Editing the permission rules and command risks. The first edit of a command's rules copies its
/// catalog defaults into the store, so what the admin saw is what they edit. Every change is one
/// audit event, and invalidates the cached rules (<see cref="AccessPolicy.InvalidateAsync"/>).
/// </summary>
public sealed class PolicyAdmin(AccessPolicy policy, AuditLog audit, TimeProvider time, IPolicyStore? store = null)
{
    public async Task<PolicyEditResult> AddRuleAsync(string actorUserId, string? role, string? command, string? target, CancellationToken cancellationToken = default)
    {
        if (store is null) return PolicyEditResult.Refused("Rules cannot be edited: no policy store is configured.");
        if (role is null || !Roles.All.Contains(role)) return PolicyEditResult.Refused($"'role' must be one of {string.Join(", ", Roles.All)}.");
        if (command is null || policy.Catalog.Find(command) is not { } definition) return PolicyEditResult.Refused($"There is no command '{command}'.");
        target = string.IsNullOrWhiteSpace(target) ? PolicySnapshot.AnyTarget : target.Trim();
        if (PolicySnapshot.CheckTarget(target) is { } problem) return PolicyEditResult.Refused($"'target' must be * or a server id, glob or tag: {problem}");

        var snapshot = await policy.FreshSnapshotAsync(cancellationToken);
        var current = snapshot.RulesFor(definition.Name);
        if (current.FirstOrDefault(r => r.Role == role && r.Target == target) is { } existing)
            return new PolicyEditResult(true, "That rule exists already.", existing);

        var now = time.GetUtcNow();
        var rule = new PermissionRule("r" + Secrets.NewShortId(), role, definition.Name, target, now, actorUserId);
        await store.ReplaceCommandRulesAsync(definition.Name, [.. Materialize(current, now, actorUserId), rule], now, cancellationToken);
        await policy.InvalidateAsync(cancellationToken);
        await audit.RecordAsync(actorUserId, "rule.added", definition.Name, "ok", $"{role} may run {definition.Name} on {target}", cancellationToken);
        return new PolicyEditResult(true, "Rule added.", new EffectiveRule(rule.Id, role, definition.Name, target, false));
    }

    public async Task<PolicyEditResult> DeleteRuleAsync(string actorUserId, string ruleId, CancellationToken cancellationToken = default)
    {
        if (store is null) return PolicyEditResult.Refused("Rules cannot be edited: no policy store is configured.");
        var snapshot = await policy.FreshSnapshotAsync(cancellationToken);
        var rule = snapshot.AllRules.FirstOrDefault(r => r.Id == ruleId);
        if (rule is null) return PolicyEditResult.Refused($"There is no rule '{ruleId}'.");

        var now = time.GetUtcNow();
        var remaining = snapshot.RulesFor(rule.Command).Where(r => r.Id != rule.Id).ToList();
        await store.ReplaceCommandRulesAsync(rule.Command, Materialize(remaining, now, actorUserId), now, cancellationToken);
        await policy.InvalidateAsync(cancellationToken);
        await audit.RecordAsync(actorUserId, "rule.deleted", rule.Command, "ok", $"{rule.Role} may no longer run {rule.Command} on {rule.Target}", cancellationToken);
        return new PolicyEditResult(true, "Rule deleted.", rule);
    }

    /// <summary>Back to the catalog's defaults for one command.</summary>
    public async Task<PolicyEditResult> ResetRulesAsync(string actorUserId, string command, CancellationToken cancellationToken = default)
    {
        if (store is null) return PolicyEditResult.Refused("Rules cannot be edited: no policy store is configured.");
        if (policy.Catalog.Find(command) is not { } definition) return PolicyEditResult.Refused($"There is no command '{command}'.");
        await store.ResetCommandRulesAsync(definition.Name, time.GetUtcNow(), cancellationToken);
        await policy.InvalidateAsync(cancellationToken);
        await audit.RecordAsync(actorUserId, "rule.reset", definition.Name, "ok", "back to the catalog's defaults", cancellationToken);
        return new PolicyEditResult(true, $"The rules of {definition.Name} are the catalog's defaults again.");
    }

    /// <summary>Sets a command's risk (<c>low</c>, <c>high</c>) or, with <c>default</c>, the catalog's.</summary>
    public async Task<PolicyEditResult> SetRiskAsync(string actorUserId, string command, string? risk, CancellationToken cancellationToken = default)
    {
        if (store is null) return PolicyEditResult.Refused("Risks cannot be edited: no policy store is configured.");
        if (policy.Catalog.Find(command) is not { } definition) return PolicyEditResult.Refused($"There is no command '{command}'.");
        var wanted = risk?.Trim().ToLowerInvariant();
        if (wanted is not ("low" or "high" or "default")) return PolicyEditResult.Refused("'risk' must be low, high or default.");
        Risk? value = wanted switch
        {
            "low" => Risk.Low,
            "high" => Risk.High,
            _ => null,
        };
        if (definition.Kind != CommandKind.Agent && value == Risk.High)
            return PolicyEditResult.Refused($"`{definition.Name}` is answered by ChatOps itself; only commands that run on servers can need approval.");

        await store.SetRiskAsync(definition.Name, value, time.GetUtcNow(), cancellationToken);
        await policy.InvalidateAsync(cancellationToken);
        await audit.RecordAsync(actorUserId, "command.risk_changed", definition.Name, "ok", $"risk {wanted}", cancellationToken);
        return new PolicyEditResult(true, $"{definition.Name} is now {(value is { } v ? v.ToString().ToLowerInvariant() : "as the catalog says")} risk.");
    }

    private static List<PermissionRule> Materialize(IEnumerable<EffectiveRule> rules, DateTimeOffset now, string actor) =>
        rules.Select(r => new PermissionRule(r.IsDefault ? "r" + Secrets.NewShortId() : r.Id, r.Role, r.Command, r.Target, now, actor)).ToList();
}
