using ChatOps.Core.Ports;

namespace ChatOps.Core.Chat;

/// <summary>
/// Decides, once per request, between the router running a request and the intake having told the
/// user "not accepted, try again" after the bus refused it (a refused record can still be delivered).
/// One claim in <see cref="INotificationLedger"/> keyed by the request id: the first side to claim it
/// keeps it for good, so the two can never both win. Used for fan-out and high-risk requests; a
/// single-server command races on its record id instead (see <see cref="CommandIntake"/>).
/// </summary>
public static class RequestAcceptance
{
    public const string Router = "router";
    public const string Intake = "intake";

    /// <summary>
    /// Long enough that a claim never passes to the other side, however late a delivery or a refusal
    /// comes. Not <see cref="TimeSpan.MaxValue"/>: the adapters add it to (or subtract it from) a timestamp.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromDays(365 * 100);

    public static NotificationKey Key(string requestId) => new("request:" + requestId, "commands", "accepted");

    /// <summary>
    /// True when <paramref name="owner"/> (<see cref="Router"/> or <see cref="Intake"/>) holds the request
    /// now: it claimed it first, or claimed it before (a redelivery to the same side claims again).
    /// False when the other side holds it. Store failures surface as exceptions.
    /// </summary>
    public static async Task<bool> TryClaimAsync(INotificationLedger ledger, string requestId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        return await ledger.TryClaimAsync(Key(requestId), owner, now, Lease, cancellationToken) == ClaimOutcome.Claimed;
    }
}
