using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Alerts;

/// <summary>The answer to a person's action on an alert, in words fit for chat.</summary>
public sealed record AlertActionResult(bool Succeeded, string Message, AlertRecord? Alert = null);

/// <summary>
/// Every change of an alert's state goes through here: a conditional write of the new state with
/// its pending event, then the event on alerts-topic. Shared by the evaluator (fire, recover,
/// escalate), the chat commands and the admin page (ack, resolve, silence).
/// </summary>
public sealed partial class AlertLifecycle(
    IAlertStore alerts,
    ISilenceStore silences,
    IServerStore servers,
    IEventBus bus,
    TimeProvider time,
    ILogger<AlertLifecycle> logger)
{
    private const int MaxConflictRetries = 5;

    /// <summary>The alert with this id (or, when none, the active one with this fingerprint).</summary>
    public async Task<AlertRecord?> FindAsync(string reference, CancellationToken cancellationToken = default)
    {
        var key = (reference ?? "").Trim().TrimStart('#');
        if (key.Length == 0) return null;
        return await alerts.GetAsync(key, cancellationToken) ?? await alerts.FindActiveAsync(key, cancellationToken);
    }

    public async Task<AlertActionResult> AcknowledgeAsync(string reference, Requester by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var alert = await FindAsync(reference, cancellationToken);
            if (alert is null) return NotFound(reference);
            switch (alert.State)
            {
                case AlertState.Pending:
                    return new(false, $"Alert #{alert.Id} is still pending (not firing yet); there is nothing to acknowledge.", alert);
                case AlertState.Acknowledged:
                    return new(false, $"Alert #{alert.Id} was already acknowledged by {alert.AcknowledgedBy} at {alert.AcknowledgedAt:HH:mm} UTC.", alert);
                case AlertState.Resolved:
                    return new(false, $"Alert #{alert.Id} is already resolved.", alert);
            }

            var now = time.GetUtcNow();
            var next = await CommitAsync(alert, alert with
            {
                State = AlertState.Acknowledged,
                AcknowledgedAt = now,
                AcknowledgedBy = by.DisplayName,
                PendingEvent = AlertEventTypes.Acknowledged,
            }, cancellationToken);
            if (next is not null)
            {
                LogAcknowledged(next.Id, by.UserId);
                return new(true, $"Acknowledged alert #{next.Id} ({Describe(next)}).", next);
            }
        }

        return Busy(reference);
    }

    public async Task<AlertActionResult> ResolveAsync(string reference, Requester by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var alert = await FindAsync(reference, cancellationToken);
            if (alert is null) return NotFound(reference);
            if (alert.State == AlertState.Resolved)
                return new(false, $"Alert #{alert.Id} is already resolved{(alert.ResolvedBy is { } who ? $" (by {who})" : "")}.", alert);

            var next = await ResolveCoreAsync(alert, by.DisplayName, cancellationToken);
            if (next is not null)
            {
                LogResolved(next.Id, by.UserId);
                var duration = FormatDuration(next.ResolvedAt!.Value - (next.FiredAt ?? next.StartedAt));
                return new(true, $"Resolved alert #{next.Id} ({Describe(next)}) after {duration}.", next);
            }
        }

        return Busy(reference);
    }

    /// <summary>Resolves an alert whose value recovered (or whose rule is gone); null when it changed meanwhile.</summary>
    internal Task<AlertRecord?> ResolveAutomaticallyAsync(AlertRecord alert, CancellationToken cancellationToken) =>
        ResolveCoreAsync(alert, null, cancellationToken);

    /// <summary>Stores a new alert (pending or firing, muted when a silence covers it) and announces a firing one.</summary>
    internal async Task<AlertRecord?> OpenAsync(AlertRecord alert, Server server, CancellationToken cancellationToken)
    {
        if (alert.State == AlertState.Firing)
        {
            var silence = await FindSilenceAsync(server, alert.RuleName, alert.StartedAt, cancellationToken);
            alert = alert with { SilencedBy = silence?.Id, PendingEvent = silence is null ? AlertEventTypes.Fired : null };
        }

        if (!await alerts.TryCreateAsync(alert, cancellationToken)) return null;
        LogOpened(alert.Id, alert.RuleName, alert.ServerId, alert.State);
        if (alert.PendingEvent is not null) await PublishPendingAsync(alert, cancellationToken);
        return alert;
    }

    /// <summary>Pending → firing, once the breach lasted the for-duration.</summary>
    internal async Task<AlertRecord?> FireAsync(AlertRecord pending, Server server, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var silence = await FindSilenceAsync(server, pending.RuleName, now, cancellationToken);
        return await CommitAsync(pending, pending with
        {
            State = AlertState.Firing,
            FiredAt = now,
            SilencedBy = silence?.Id,
            PendingEvent = silence is null ? AlertEventTypes.Fired : null,
        }, cancellationToken);
    }

    /// <summary>Mutes an open alert; announced ones get a "silenced" reply.</summary>
    internal Task<AlertRecord?> SilenceAsync(AlertRecord alert, Silence silence, CancellationToken cancellationToken) =>
        CommitAsync(alert, alert with
        {
            SilencedBy = silence.Id,
            PendingEvent = alert.SilencedBy is null && alert.IsOpen ? AlertEventTypes.Silenced : null,
        }, cancellationToken, silence);

    /// <summary>The silence ended while the alert still fires: announce it (a no-op where it was announced before).</summary>
    internal Task<AlertRecord?> UnsilenceAsync(AlertRecord alert, CancellationToken cancellationToken) =>
        CommitAsync(alert, alert with { SilencedBy = null, PendingEvent = alert.IsOpen ? AlertEventTypes.Fired : null }, cancellationToken);

    internal Task<AlertRecord?> EscalateAsync(AlertRecord alert, CancellationToken cancellationToken) =>
        CommitAsync(alert, alert with
        {
            Escalations = alert.Escalations + 1,
            LastEscalatedAt = time.GetUtcNow(),
            PendingEvent = AlertEventTypes.Escalated,
        }, cancellationToken);

    /// <summary>
    /// Writes <paramref name="next"/> if the alert is still as <paramref name="current"/> was read,
    /// then publishes its pending event. Null when someone else changed it first (re-read and retry).
    /// </summary>
    internal async Task<AlertRecord?> CommitAsync(AlertRecord current, AlertRecord next, CancellationToken cancellationToken, Silence? silence = null)
    {
        next = next with { Version = current.Version + 1, UpdatedAt = time.GetUtcNow() };
        if (!await alerts.TryUpdateAsync(next, current.Version, cancellationToken)) return null;
        if (next.PendingEvent is not null) await PublishPendingAsync(next, cancellationToken, silence);
        return next;
    }

    /// <summary>Records a new value (no state change, nothing to announce); null when the alert changed meanwhile.</summary>
    internal async Task<AlertRecord?> RecordValueAsync(AlertRecord current, AlertRecord next, CancellationToken cancellationToken)
    {
        // The pending event (if any) and its time stay as they are: only the tick republishes it.
        next = next with { PendingEvent = current.PendingEvent, Version = current.Version + 1, UpdatedAt = current.UpdatedAt };
        return await alerts.TryUpdateAsync(next, current.Version, cancellationToken) ? next : null;
    }

    /// <summary>
    /// Publishes the alert's pending event and then forgets it. When the bus does not take it, the
    /// event stays pending and the evaluator's tick publishes it again later.
    /// </summary>
    public async Task PublishPendingAsync(AlertRecord alert, CancellationToken cancellationToken, Silence? silence = null)
    {
        if (alert.PendingEvent is null) return;
        if (silence is null && alert.PendingEvent == AlertEventTypes.Silenced && alert.SilencedBy is { } silenceId)
            silence = await silences.GetAsync(silenceId, cancellationToken);
        try
        {
            await bus.PublishAsync(Topics.Alerts, AlertEnvelopes.Create(alert, time.GetUtcNow(), silence), cancellationToken);
        }
        catch (BusUnavailableException ex)
        {
            LogPublishDeferred(alert.Id, alert.PendingEvent, ex.Message);
            return;
        }

        await alerts.ClearPendingEventAsync(alert.Id, alert.Version, cancellationToken);
    }

    /// <summary>The first current silence covering this server and rule at <paramref name="at"/>.</summary>
    public async Task<Silence?> FindSilenceAsync(Server server, string ruleName, DateTimeOffset at, CancellationToken cancellationToken) =>
        Silence.FirstCovering(await silences.ListCurrentAsync(at, cancellationToken), server, ruleName, at);

    /// <summary>The server record for matching silences by tag; a bare one for a server the store does not know.</summary>
    internal async Task<Server> ServerAsync(string serverId, CancellationToken cancellationToken) =>
        await servers.GetAsync(serverId, cancellationToken) ?? new Server(serverId, null, [], time.GetUtcNow());

    private async Task<AlertRecord?> ResolveCoreAsync(AlertRecord alert, string? by, CancellationToken cancellationToken)
    {
        if (alert.State == AlertState.Pending && by is null)
            return await alerts.TryDeletePendingAsync(alert.Id, alert.Version, cancellationToken) ? alert with { State = AlertState.Resolved } : null;

        var now = time.GetUtcNow();
        return await CommitAsync(alert, alert with
        {
            State = AlertState.Resolved,
            ResolvedAt = now,
            ResolvedBy = by,
            PendingEvent = AlertEventTypes.Resolved,
        }, cancellationToken);
    }

    public static string Describe(AlertRecord alert) => $"{alert.RuleName} on {alert.ServerId}";

    public static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero) duration = TimeSpan.Zero;
        if (duration.TotalSeconds < 60) return $"{(int)duration.TotalSeconds} s";
        if (duration.TotalHours < 1) return $"{(int)duration.TotalMinutes} min {duration.Seconds} s";
        if (duration.TotalDays < 1) return $"{(int)duration.TotalHours} h {duration.Minutes} min";
        return $"{(int)duration.TotalDays} d {duration.Hours} h";
    }

    private static AlertActionResult NotFound(string reference) =>
        new(false, $"There is no alert `{Commands.TextHygiene.Escape(reference ?? "")}`. Type `alerts` for the open ones.");

    private static AlertActionResult Busy(string reference) =>
        new(false, $"Alert `{Commands.TextHygiene.Escape(reference)}` keeps changing right now; try again in a moment.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} ({Rule} on {ServerId}) opened as {State}")]
    private partial void LogOpened(string alertId, string rule, string serverId, AlertState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} acknowledged by {UserId}")]
    private partial void LogAcknowledged(string alertId, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} resolved by {UserId}")]
    private partial void LogResolved(string alertId, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: the bus did not take {EventType} ({Reason}); the tick publishes it again")]
    private partial void LogPublishDeferred(string alertId, string eventType, string reason);
}
