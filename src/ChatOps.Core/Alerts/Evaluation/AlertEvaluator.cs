using System.Collections.Concurrent;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Alerts.Evaluation;

/// <summary>
/// The alert service: evaluates the rules on every metrics batch as it arrives (consumer group
/// <see cref="ConsumerGroup"/> on metrics-topic) and, in <see cref="TickAsync"/>, on the clock
/// (for-duration expiry, clear-for expiry, no-data, silences ending, escalation). The alerts
/// themselves live in the store, so a new instance carries on where the last one stopped; only the
/// anomaly baselines and no-data "last seen" times are rebuilt after a restart.
/// </summary>
public sealed partial class AlertEvaluator(
    AlertRuleSet rules,
    IAlertStore alerts,
    IServerStore servers,
    ISilenceStore silences,
    AlertLifecycle lifecycle,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertEvaluator> logger)
{
    public const string ConsumerGroup = "alerts";
    private const int MaxConflictRetries = 3;

    private readonly AlertOptions _options = options.Value;

    // One evaluation at a time in this process: the batch consumer and the tick touch the same alerts.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Rule, string Server), DateTimeOffset> _lastSeen = [];
    private readonly Dictionary<string, (AnomalySettings Settings, EwmaBaseline Baseline)> _baselines = [];
    private readonly ConcurrentDictionary<string, TargetSelector?> _selectors = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    public async Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        if (envelope.Type != EventTypes.MetricsReported) return;
        await EvaluateAsync(envelope.Read<MetricsReported>().Snapshot, cancellationToken);
    }

    public async Task EvaluateAsync(MetricSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EvaluateCoreAsync(snapshot, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EvaluateCoreAsync(MetricSnapshot snapshot, CancellationToken cancellationToken)
    {
        var inForce = rules.Rules;
        if (inForce.Count == 0) return;
        var now = time.GetUtcNow();
        var server = await lifecycle.ServerAsync(snapshot.ServerId, cancellationToken);
        var active = (await alerts.ListActiveAsync(server.Id, cancellationToken)).ToDictionary(a => a.Fingerprint, StringComparer.Ordinal);
        var damped = await DampedAsync(server.Id, now, cancellationToken);
        foreach (var rule in inForce)
        {
            if (!Selects(rule, server)) continue;
            var samples = snapshot.Samples.Where(s => s.Name == rule.Metric && LabelsMatch(rule.Labels, s.Labels)).ToList();
            if (samples.Count == 0) continue;

            _lastSeen[(rule.Name, server.Id)] = now;
            if (active.TryGetValue(AlertFingerprint.Of(rule.Name, server.Id, AlertFingerprint.NoDataLabels), out var noData))
                await lifecycle.ResolveAutomaticallyAsync(noData, cancellationToken);

            foreach (var sample in samples)
            {
                var observation = Observe(rule, server.Id, sample);
                var fingerprint = AlertFingerprint.Of(rule.Name, server.Id, sample.Labels);
                await ApplyAsync(rule, server, sample.Labels, fingerprint, observation, active.GetValueOrDefault(fingerprint), damped.Contains(fingerprint), now, cancellationToken);
            }
        }
    }

    private Observation Observe(AlertRule rule, string serverId, MetricSample sample)
    {
        if (rule.Anomaly is { } anomaly)
        {
            var key = AlertFingerprint.Of(rule.Name, serverId, sample.Labels);
            if (!_baselines.TryGetValue(key, out var entry) || entry.Settings != anomaly)
            {
                entry = (anomaly, new EwmaBaseline(anomaly.Alpha));
                _baselines[key] = entry;
            }

            var observation = Observation.OfAnomaly(rule, anomaly, sample.Value, entry.Baseline.ZScore(sample.Value, anomaly.WarmUpSamples), entry.Baseline);
            entry.Baseline.Add(sample.Value);
            return observation;
        }

        return rule.Threshold is { } threshold
            ? Observation.OfThreshold(rule, threshold, sample.Value)
            : new Observation(sample.Value, ObservationKind.Unknown);
    }

    // A lost race (another writer changed the alert) re-reads it and applies the observation again.
    private async Task ApplyAsync(AlertRule rule, Server server, IReadOnlyDictionary<string, string> labels, string fingerprint,
        Observation observation, AlertRecord? current, bool damped, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var settled = current switch
            {
                null => await OpenIfBreachingAsync(rule, server, labels, fingerprint, observation, damped, now, cancellationToken),
                { State: AlertState.Pending } => await AdvancePendingAsync(rule, server, current, observation, now, cancellationToken),
                _ => await AdvanceOpenAsync(rule, current, observation, now, cancellationToken),
            };
            if (settled) return;
            current = await alerts.FindActiveAsync(fingerprint, cancellationToken);
        }

        LogConflict(rule.Name, server.Id, fingerprint);
    }

    private async Task<bool> OpenIfBreachingAsync(AlertRule rule, Server server, IReadOnlyDictionary<string, string> labels, string fingerprint,
        Observation observation, bool damped, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (observation.Kind != ObservationKind.Breaching) return true;
        if (damped)
        {
            LogDamped(rule.Name, server.Id, _options.MinRefireInterval);
            return true;
        }

        var condition = rule.Anomaly is null ? AlertCondition.Threshold : AlertCondition.Anomaly;
        var alert = NewAlert(rule, server.Id, labels, fingerprint, condition, observation.Value, observation.Detail, now, firing: rule.For <= TimeSpan.Zero);
        return await lifecycle.OpenAsync(alert, server, cancellationToken) is not null;
    }

    private async Task<bool> AdvancePendingAsync(AlertRule rule, Server server, AlertRecord pending, Observation observation, DateTimeOffset now, CancellationToken cancellationToken)
    {
        switch (observation.Kind)
        {
            case ObservationKind.Breaching:
                var updated = pending with { Value = observation.Value, Detail = observation.Detail, LastSampleAt = now };
                return now - pending.StartedAt >= rule.For
                    ? await lifecycle.FireAsync(updated, server, cancellationToken) is not null
                    : await lifecycle.RecordValueAsync(pending, updated, cancellationToken) is not null;
            case ObservationKind.Between or ObservationKind.Clear:
                // The breach ended before the for-duration: it never was an alert.
                if (!await alerts.TryDeletePendingAsync(pending.Id, pending.Version, cancellationToken)) return false;
                LogPendingDropped(pending.Id, rule.Name, pending.ServerId);
                return true;
            default:
                return true;
        }
    }

    private async Task<bool> AdvanceOpenAsync(AlertRule rule, AlertRecord open, Observation observation, DateTimeOffset now, CancellationToken cancellationToken)
    {
        switch (observation.Kind)
        {
            case ObservationKind.Breaching or ObservationKind.Between:
                if (open.ClearSince is null && open.Value == observation.Value && open.Detail == observation.Detail) return true;
                var still = open with { Value = observation.Value, Detail = observation.Detail, LastSampleAt = now, ClearSince = null };
                return await lifecycle.RecordValueAsync(open, still, cancellationToken) is not null;
            case ObservationKind.Clear:
                var clearSince = open.ClearSince ?? now;
                var cleared = open with { Value = observation.Value, Detail = observation.Detail, LastSampleAt = now, ClearSince = clearSince };
                if (now - clearSince >= rule.ClearFor) return await lifecycle.ResolveAutomaticallyAsync(cleared, cancellationToken) is not null;
                return (open.ClearSince is not null && open.Value == observation.Value)
                    || await lifecycle.RecordValueAsync(open, cleared, cancellationToken) is not null;
            default:
                return true;
        }
    }

    private AlertRecord NewAlert(AlertRule rule, string serverId, IReadOnlyDictionary<string, string> labels, string fingerprint,
        AlertCondition condition, double? value, string? detail, DateTimeOffset now, bool firing) => new()
    {
        Id = Secrets.NewShortId(),
        Fingerprint = fingerprint,
        RuleName = rule.Name,
        ServerId = serverId,
        Labels = new Dictionary<string, string>(labels, StringComparer.Ordinal),
        Condition = condition,
        Severity = rule.Severity,
        State = firing ? AlertState.Firing : AlertState.Pending,
        Value = value,
        Detail = detail,
        Terms = new AlertTerms(rule.Metric, rule.Comparator, rule.Threshold, rule.ClearThreshold, rule.Summary, rule.Routes,
            rule.Runbook?.Replace("{server}", serverId, StringComparison.Ordinal), _options.EscalationFor(rule)),
        StartedAt = now,
        FiredAt = firing ? now : null,
        LastSampleAt = value is null ? null : now,
        Version = 1,
        UpdatedAt = now,
    };

    /// <summary>Fingerprints that resolved too recently to open again (flap damping).</summary>
    private async Task<HashSet<string>> DampedAsync(string? serverId, DateTimeOffset now, CancellationToken cancellationToken) =>
        _options.MinRefireInterval <= TimeSpan.Zero
            ? []
            : (await alerts.ListResolvedSinceAsync(now - _options.MinRefireInterval, serverId, cancellationToken)).Select(a => a.Fingerprint).ToHashSet(StringComparer.Ordinal);

    private bool Selects(AlertRule rule, Server server) =>
        _selectors.GetOrAdd(rule.Target, target => TargetSelector.TryParse(target, out var selector, out _) ? selector : null)?.Matches(server) ?? false;

    private static bool LabelsMatch(IReadOnlyDictionary<string, string> wanted, IReadOnlyDictionary<string, string> labels) =>
        wanted.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Rule} on {ServerId} ({Fingerprint}) kept changing under evaluation; this sample was skipped")]
    private partial void LogConflict(string rule, string serverId, string fingerprint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Alert {Rule} on {ServerId} breaches again within {Interval} of resolving; not reopened (flap damping)")]
    private partial void LogDamped(string rule, string serverId, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pending alert {AlertId} ({Rule} on {ServerId}) recovered before its for-duration")]
    private partial void LogPendingDropped(string alertId, string rule, string serverId);
}
