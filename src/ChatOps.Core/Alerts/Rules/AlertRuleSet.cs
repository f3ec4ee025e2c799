using ChatOps.Core.Alerts.Scheduling;

namespace ChatOps.Core.Alerts.Rules;

/// <summary>
/// The rules in force: those of the rules file plus those in the store. A store rule with the name
/// of a file rule is shadowed (the file is the code-reviewed source). Swapped atomically, so an
/// evaluation sees one consistent set.
/// </summary>
public sealed class AlertRuleSet
{
    private readonly Lock _gate = new();
    private volatile Snapshot _snapshot = new([], [], []);

    /// <summary>Raised after the scheduled commands changed (the scheduler reschedules its jobs).</summary>
    public event Action? SchedulesChanged;

    public IReadOnlyList<AlertRule> Rules => _snapshot.Effective;

    public IReadOnlyList<ScheduledCommand> Schedules => _snapshot.Schedules;

    /// <summary>The names of the rules that come from the file.</summary>
    public IReadOnlySet<string> FileRuleNames => _snapshot.FileRules.Select(r => r.Name).ToHashSet();

    public AlertRule? Find(string name) => _snapshot.Effective.FirstOrDefault(rule => rule.Name == name);

    public void SetFileContent(IReadOnlyList<AlertRule> rules, IReadOnlyList<ScheduledCommand> schedules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(schedules);
        Snapshot before, after;
        lock (_gate)
        {
            before = _snapshot;
            after = new Snapshot(rules, before.StoreRules, schedules);
            _snapshot = after;
        }

        if (!before.Schedules.SequenceEqual(after.Schedules)) SchedulesChanged?.Invoke();
    }

    public void SetStoreRules(IReadOnlyList<AlertRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        lock (_gate) _snapshot = new Snapshot(_snapshot.FileRules, rules, _snapshot.Schedules);
    }

    private sealed class Snapshot
    {
        public Snapshot(IReadOnlyList<AlertRule> fileRules, IReadOnlyList<AlertRule> storeRules, IReadOnlyList<ScheduledCommand> schedules)
        {
            FileRules = fileRules;
            StoreRules = storeRules;
            Schedules = schedules;
            var fileNames = fileRules.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
            Effective = fileRules.Concat(storeRules.Where(r => !fileNames.Contains(r.Name))).ToList();
        }

        public IReadOnlyList<AlertRule> FileRules { get; }
        public IReadOnlyList<AlertRule> StoreRules { get; }
        public IReadOnlyList<ScheduledCommand> Schedules { get; }
        public IReadOnlyList<AlertRule> Effective { get; }
    }
}
