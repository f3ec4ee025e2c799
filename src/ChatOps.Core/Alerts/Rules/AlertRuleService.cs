using ChatOps.Core.Ports;

namespace ChatOps.Core.Alerts.Rules;

public sealed record AlertRuleChange(bool Succeeded, IReadOnlyList<string> Errors, AlertRule? Rule = null);

/// <summary>
/// Rules kept in the store, for the admin page and the REST API: each change is checked, stored and
/// put in force at once in this process (other processes pick it up on their next tick).
/// </summary>
public sealed class AlertRuleService(IAlertRuleStore store, AlertRuleSet rules, TimeProvider time)
{
    /// <summary>The rules in force (file and store).</summary>
    public IReadOnlyList<AlertRule> ListInForce() => rules.Rules;

    public Task<IReadOnlyList<AlertRule>> ListStoredAsync(CancellationToken cancellationToken = default) => store.ListAsync(cancellationToken);

    public Task<AlertRule?> GetStoredAsync(string name, CancellationToken cancellationToken = default) => store.GetAsync(name, cancellationToken);

    /// <summary>Checks and stores a rule (creating or replacing it by name).</summary>
    public async Task<AlertRuleChange> UpsertAsync(AlertRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var errors = AlertRuleValidator.Check(rule).ToList();
        if (rules.FileRuleNames.Contains(rule.Name))
            errors.Add($"field 'name': '{rule.Name}' is defined in the rules file, which wins; edit it there");
        if (errors.Count > 0) return new AlertRuleChange(false, errors);
        await store.UpsertAsync(rule, time.GetUtcNow(), cancellationToken);
        await RefreshAsync(cancellationToken);
        return new AlertRuleChange(true, [], rule);
    }

    /// <summary>The same from a document (as the REST API receives it).</summary>
    public Task<AlertRuleChange> UpsertAsync(AlertRuleDocument document, CancellationToken cancellationToken = default)
    {
        var (rule, errors) = AlertRulesDocumentReader.ReadRule(document);
        return rule is null ? Task.FromResult(new AlertRuleChange(false, errors)) : UpsertAsync(rule, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        var deleted = await store.DeleteAsync(name, cancellationToken);
        await RefreshAsync(cancellationToken);
        return deleted;
    }

    /// <summary>Loads the stored rules into force (at start and on every tick, for edits made by other processes).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default) =>
        rules.SetStoreRules(await store.ListAsync(cancellationToken));
}
