using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Ports;

// The alerting part of the system of record. Same failure contract as every store (Stores.cs):
// infrastructure errors surface as exceptions, never as "not found" or "false"; false means
// only "the condition of this conditional write did not hold", so the caller re-reads and decides.

/// <summary>
/// Alerts, one row per occurrence. At most one alert per fingerprint is active (not resolved) at a
/// time: a unique constraint, so two evaluators can never open the same alert twice.
/// </summary>
public interface IAlertStore
{
    /// <summary>Inserts a new alert. False when its id exists or an active alert has its fingerprint.</summary>
    Task<bool> TryCreateAsync(AlertRecord alert, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the alert only if its stored <see cref="AlertRecord.Version"/> is still
    /// <paramref name="expectedVersion"/> (a conditional UPDATE); <paramref name="alert"/> carries the
    /// new version. False when someone else changed it first.
    /// </summary>
    Task<bool> TryUpdateAsync(AlertRecord alert, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Deletes a pending alert that never fired, if it is still at <paramref name="expectedVersion"/>.</summary>
    Task<bool> TryDeletePendingAsync(string id, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Forgets <see cref="AlertRecord.PendingEvent"/> once published, if the alert is still at <paramref name="version"/>.</summary>
    Task<bool> ClearPendingEventAsync(string id, long version, CancellationToken cancellationToken = default);

    Task<AlertRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The active (pending, firing or acknowledged) alert with this fingerprint, if any.</summary>
    Task<AlertRecord?> FindActiveAsync(string fingerprint, CancellationToken cancellationToken = default);

    /// <summary>Active alerts, oldest first, optionally for one server.</summary>
    Task<IReadOnlyList<AlertRecord>> ListActiveAsync(string? serverId = null, CancellationToken cancellationToken = default);

    /// <summary>Alerts resolved at or after <paramref name="since"/>, newest first, optionally for one server.</summary>
    Task<IReadOnlyList<AlertRecord>> ListResolvedSinceAsync(DateTimeOffset since, string? serverId = null, CancellationToken cancellationToken = default);

    /// <summary>Newest first, in any state.</summary>
    Task<IReadOnlyList<AlertRecord>> ListRecentAsync(int limit = 50, CancellationToken cancellationToken = default);
}

/// <summary>Alert rules kept in the store (edited on the admin page and the REST API), by unique name.</summary>
public interface IAlertRuleStore
{
    /// <summary>Creates or replaces the rule named <see cref="AlertRule.Name"/>.</summary>
    Task UpsertAsync(AlertRule rule, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task<AlertRule?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Ordered by name.</summary>
    Task<IReadOnlyList<AlertRule>> ListAsync(CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>Silences and maintenance windows (a silence whose start lies in the future).</summary>
public interface ISilenceStore
{
    /// <summary>False when its id exists.</summary>
    Task<bool> CreateAsync(Silence silence, CancellationToken cancellationToken = default);

    Task<Silence?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Silences not expired by hand whose end is after <paramref name="at"/> (current and future), by start.</summary>
    Task<IReadOnlyList<Silence>> ListCurrentAsync(DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Ends a silence early. False when it does not exist or has already ended.</summary>
    Task<bool> ExpireAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="INotificationLedger.TryClaimAsync"/>.</summary>
public enum ClaimOutcome
{
    /// <summary>The caller holds the claim now and must do the work, then complete it.</summary>
    Claimed,

    /// <summary>Someone already did this work: skip it.</summary>
    AlreadyDone,

    /// <summary>Another replica holds an unexpired claim: try again later (the bus retries).</summary>
    HeldByOther,
}

/// <summary>
/// One announcement: <paramref name="Subject"/> (an alert id, or <c>schedule:{name}</c>),
/// <paramref name="Route"/> (<see cref="AlertRoute.Key"/>) and <paramref name="Event"/> (e.g.
/// <c>fired</c>, <c>escalated:2</c>). Unique in the store: the exactly-once guarantee.
/// </summary>
public sealed record NotificationKey(string Subject, string Route, string Event);

/// <summary>The chat thread opened for an alert on one route.</summary>
public sealed record AlertThread(string AlertId, string Route, ChatRef Thread, DateTimeOffset CreatedAt);

/// <summary>
/// Who announced what, so several notifier replicas announce each alert event once. A claim is a
/// lease: a replica that died holding it is replaced once the lease ran out, so nothing is lost.
/// </summary>
public interface INotificationLedger
{
    /// <summary>
    /// Claims <paramref name="key"/> for <paramref name="owner"/> (a unique row). Taking over is allowed
    /// when the claim is not completed and older than <paramref name="lease"/>, or already ours.
    /// </summary>
    Task<ClaimOutcome> TryClaimAsync(NotificationKey key, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Marks the work of a claim done; later claims of the key answer <see cref="ClaimOutcome.AlreadyDone"/>.</summary>
    Task CompleteAsync(NotificationKey key, string owner, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Remembers the thread of an alert on a route; a second save for the pair keeps the first.</summary>
    Task SaveThreadAsync(AlertThread thread, CancellationToken cancellationToken = default);

    Task<AlertThread?> GetThreadAsync(string alertId, string route, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AlertThread>> ListThreadsAsync(string alertId, CancellationToken cancellationToken = default);
}

/// <summary>
/// Email and webhook messages waiting to be sent, so nothing is lost when a receiver is down:
/// enqueued by the notifier, drained with retry and backoff by a job.
/// </summary>
public interface INotificationOutbox
{
    /// <summary>Enqueues; false when a message with the same <see cref="OutboxMessage.Key"/> exists (redelivery).</summary>
    Task<bool> TryEnqueueAsync(OutboxMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pending messages due at <paramref name="now"/>, oldest first, each locked for
    /// <paramref name="lease"/> so another drainer skips them meanwhile.
    /// </summary>
    Task<IReadOnlyList<OutboxMessage>> LeaseDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default);

    Task MarkDeliveredAsync(long id, int attempts, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task ScheduleRetryAsync(long id, int attempts, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default);

    Task MarkFailedAsync(long id, int attempts, string error, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Newest first, optionally only those in <paramref name="state"/>.</summary>
    Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxState? state = null, int limit = 100, CancellationToken cancellationToken = default);
}

public enum OutboxState
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>An email or webhook message. <see cref="Id"/> is assigned by the store (0 before).</summary>
public sealed record OutboxMessage
{
    public long Id { get; init; }
    public required NotificationKey Key { get; init; }

    /// <summary><c>email</c> or <c>webhook</c>: which <see cref="IAlertDelivery"/> sends it.</summary>
    public required string Platform { get; init; }

    /// <summary>The route's channel: an email address or a URL.</summary>
    public required string Destination { get; init; }

    public required string Title { get; init; }
    public required string Body { get; init; }

    /// <summary>The JSON document a webhook receives.</summary>
    public required string Payload { get; init; }

    public OutboxState State { get; init; } = OutboxState.Pending;
    public int Attempts { get; init; }
    public required DateTimeOffset NextAttemptAt { get; init; }
    public string? LastError { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
}
