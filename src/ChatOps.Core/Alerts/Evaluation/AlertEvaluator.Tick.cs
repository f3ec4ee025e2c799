using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Alerts.Evaluation;

public sealed partial class AlertEvaluator
{
    /// <summary>
    /// The clock-driven half, run by a job every <see cref="AlertOptions.TickInterval"/>: fires pending
    /// alerts whose for-duration ran out, resolves those clear for long enough, opens no-data alerts,
    /// applies silences that began or ended, escalates, and republishes interrupted events.
    /// </summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var known = await servers.ListAsync(cancellationToken);
            var byId = known.ToDictionary(s => s.Id, StringComparer.Ordinal);
            var current = await silences.ListCurrentAsync(now, cancellationToken);
            var active = await alerts.ListActiveAsync(cancellationToken: cancellationToken);
            foreach (var alert in active)
            {
                var server = byId.GetValueOrDefault(alert.ServerId) ?? new Server(alert.ServerId, null, [], now);
                await TickAlertAsync(alert, server, current, now, cancellationToken);
            }

            await OpenNoDataAlertsAsync(known, active, now, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task TickAlertAsync(AlertRecord alert, Server server, IReadOnlyList<Silence> current, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (alert.PendingEvent is not null && now - alert.UpdatedAt >= _options.RepublishAfter)
            await lifecycle.PublishPendingAsync(alert, cancellationToken);

        var rule = rules.Find(alert.RuleName);
        if (rule is null)
        {
            LogRuleGone(alert.Id, alert.RuleName);
            await lifecycle.ResolveAutomaticallyAsync(alert, cancellationToken);
            return;
        }

        if (alert.State == AlertState.Pending)
        {
            if (now - alert.StartedAt >= rule.For) await lifecycle.FireAsync(alert, server, cancellationToken);
            return;
        }

        if (alert.ClearSince is { } clearSince && now - clearSince >= rule.ClearFor)
        {
            await lifecycle.ResolveAutomaticallyAsync(alert, cancellationToken);
            return;
        }

        var silence = Silence.FirstCovering(current, server, alert.RuleName, now);
        if (alert.SilencedBy is not null)
        {
            if (silence is null) await lifecycle.UnsilenceAsync(alert, cancellationToken);
            return;
        }

        if (silence is not null)
        {
            // A maintenance window began (or a silence was made elsewhere) over an open alert.
            await lifecycle.SilenceAsync(alert, silence, cancellationToken);
            return;
        }

        if (alert.State == AlertState.Firing && IsEscalationDue(alert, now)) await lifecycle.EscalateAsync(alert, cancellationToken);
    }

    private static bool IsEscalationDue(AlertRecord alert, DateTimeOffset now) =>
        alert.Terms.Escalation is { } escalation
        && alert.FiredAt is { } firedAt
        && now - firedAt >= escalation.After
        && (alert.LastEscalatedAt is not { } last || now - last >= escalation.Repeat);

    private async Task OpenNoDataAlertsAsync(IReadOnlyList<Server> known, IReadOnlyList<AlertRecord> active, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var open = active.Select(a => a.Fingerprint).ToHashSet(StringComparer.Ordinal);
        HashSet<string>? damped = null;
        foreach (var rule in rules.Rules)
        {
            if (rule.NoDataAfter is not { } noDataAfter) continue;
            foreach (var server in known.Where(s => Selects(rule, s)))
            {
                // Never seen since this instance started: count from the start, not from the epoch.
                var lastSeen = _lastSeen.GetValueOrDefault((rule.Name, server.Id), _startedAt);
                if (now - lastSeen < noDataAfter) continue;
                var fingerprint = AlertFingerprint.Of(rule.Name, server.Id, AlertFingerprint.NoDataLabels);
                if (open.Contains(fingerprint)) continue;
                damped ??= await DampedAsync(null, now, cancellationToken);
                if (damped.Contains(fingerprint)) continue;

                var detail = $"no {rule.Metric} sample for {AlertLifecycle.FormatDuration(now - lastSeen)}";
                var alert = NewAlert(rule, server.Id, AlertFingerprint.NoDataLabels, fingerprint, AlertCondition.NoData, null, detail, now, firing: true);
                await lifecycle.OpenAsync(alert, server, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: its rule {Rule} is no longer in force; resolving it")]
    private partial void LogRuleGone(string alertId, string rule);
}
