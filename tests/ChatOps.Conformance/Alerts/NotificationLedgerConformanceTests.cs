using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using static ChatOps.Conformance.Alerts.AlertTestData;

namespace ChatOps.Conformance.Alerts;

/// <summary>
/// <see cref="INotificationLedger"/>: claims are leases that make announcements exactly-once across
/// notifier replicas, and the first thread saved for an alert and route stays.
/// </summary>
public abstract class NotificationLedgerConformanceTests : AlertingConformanceTests
{
    private static readonly NotificationKey Fired = new("a1", "slack:C1", "fired");

    [Fact]
    public async Task A_claim_belongs_to_one_owner_until_done_or_its_lease_runs_out()
    {
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired, "n1", T0, Lease));
        Assert.Equal(ClaimOutcome.HeldByOther, await Stores.Ledger.TryClaimAsync(Fired, "n2", T0.AddMinutes(1), Lease));
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired, "n1", T0.AddMinutes(1), Lease));
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired, "n2", T0.AddMinutes(3), Lease));
        Assert.Equal(ClaimOutcome.HeldByOther, await Stores.Ledger.TryClaimAsync(Fired, "n1", T0.AddMinutes(4), Lease));

        await Stores.Ledger.CompleteAsync(Fired, "n2", T0.AddMinutes(4));

        Assert.Equal(ClaimOutcome.AlreadyDone, await Stores.Ledger.TryClaimAsync(Fired, "n1", T0.AddHours(1), Lease));
        Assert.Equal(ClaimOutcome.AlreadyDone, await Stores.Ledger.TryClaimAsync(Fired, "n2", T0.AddHours(1), Lease));
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired with { Event = "acknowledged" }, "n1", T0, Lease));
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired with { Route = "teams:T1" }, "n1", T0, Lease));
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired with { Subject = "a2" }, "n1", T0, Lease));
    }

    [Fact]
    public async Task A_lease_runs_out_exactly_at_claim_time_plus_lease()
    {
        await Stores.Ledger.TryClaimAsync(Fired, "n1", T0, Lease);

        Assert.Equal(ClaimOutcome.HeldByOther, await Stores.Ledger.TryClaimAsync(Fired, "n2", T0 + Lease - TimeSpan.FromMilliseconds(1), Lease));
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired, "n2", T0 + Lease, Lease));
    }

    [Fact]
    public async Task Claiming_again_as_the_owner_renews_the_lease()
    {
        await Stores.Ledger.TryClaimAsync(Fired, "n1", T0, Lease);
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired, "n1", T0.AddMinutes(1), Lease));

        // Held from the renewal, not from the first claim.
        Assert.Equal(ClaimOutcome.HeldByOther, await Stores.Ledger.TryClaimAsync(Fired, "n2", T0 + Lease, Lease));
        Assert.Equal(ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(Fired, "n2", T0.AddMinutes(1) + Lease, Lease));
    }

    [Fact]
    public async Task A_completed_claim_is_done_for_every_replica_however_late()
    {
        await Stores.Ledger.TryClaimAsync(Fired, "n1", T0, Lease);
        await Stores.Ledger.CompleteAsync(Fired, "n1", T0.AddSeconds(5));
        var replica = CreateReplicaStores();

        Assert.Equal(ClaimOutcome.AlreadyDone, await replica.Ledger.TryClaimAsync(Fired, "n2", T0.AddDays(30), Lease));
        Assert.Equal(ClaimOutcome.AlreadyDone, await Stores.Ledger.TryClaimAsync(Fired, "n1", T0.AddSeconds(6), Lease));
    }

    [Fact]
    public async Task Replicas_racing_for_a_new_claim_get_it_once()
    {
        var outcomes = await RunConcurrentlyAsync(12, Replicas(5), (stores, i) => stores.Ledger.TryClaimAsync(Fired, $"n{i}", T0, Lease));

        Assert.Single(outcomes, outcome => outcome == ClaimOutcome.Claimed);
        Assert.All(outcomes.Where(o => o != ClaimOutcome.Claimed), o => Assert.Equal(ClaimOutcome.HeldByOther, o));
    }

    [Fact]
    public async Task Replicas_racing_to_take_over_an_expired_claim_get_it_once()
    {
        // The owner died holding the claim; its lease has run out.
        await Stores.Ledger.TryClaimAsync(Fired, "n-dead", T0, Lease);

        var outcomes = await RunConcurrentlyAsync(12, Replicas(5), (stores, i) => stores.Ledger.TryClaimAsync(Fired, $"n{i}", T0 + Lease + Lease / 2, Lease));

        Assert.Single(outcomes, outcome => outcome == ClaimOutcome.Claimed);
        Assert.All(outcomes.Where(o => o != ClaimOutcome.Claimed), o => Assert.Equal(ClaimOutcome.HeldByOther, o));
        Assert.Equal(ClaimOutcome.HeldByOther, await Stores.Ledger.TryClaimAsync(Fired, "n-dead", T0 + Lease + Lease / 2, Lease));
    }

    [Fact]
    public async Task The_first_thread_saved_for_an_alert_and_route_stays()
    {
        var first = new AlertThread("a1", "slack:C1", new ChatRef("slack", "C1", "1700000000.0001"), T0);

        await Stores.Ledger.SaveThreadAsync(first);
        await Stores.Ledger.SaveThreadAsync(first with { Thread = new ChatRef("slack", "C1", "other") });
        await Stores.Ledger.SaveThreadAsync(new AlertThread("a1", "web:ops", new ChatRef("web", "ops", "alert-a1-x", new Dictionary<string, string> { ["alert"] = "a1" }), T0.AddSeconds(1)));
        await Stores.Ledger.SaveThreadAsync(new AlertThread("a2", "slack:C1", new ChatRef("slack", "C1", "1700000000.0002"), T0));

        Assert.Equal(first, await Stores.Ledger.GetThreadAsync("a1", "slack:C1"));
        var all = await Stores.Ledger.ListThreadsAsync("a1");
        Assert.Equal(["slack:C1", "web:ops"], all.Select(t => t.Route));
        Assert.Equal("a1", all[1].Thread.Get("alert"));
        Assert.Equal((T0.AddSeconds(1), "alert-a1-x"), (all[1].CreatedAt, all[1].Thread.Thread));
        Assert.Null(await Stores.Ledger.GetThreadAsync("a2", "web:ops"));
        Assert.Null(await Stores.Ledger.GetThreadAsync("a3", "slack:C1"));
        Assert.Empty(await Stores.Ledger.ListThreadsAsync("a3"));
    }

    [Fact]
    public async Task Replicas_saving_a_thread_for_one_alert_and_route_at_once_keep_one()
    {
        var threads = await RunConcurrentlyAsync(12, Replicas(2), async (stores, i) =>
        {
            await stores.Ledger.SaveThreadAsync(new AlertThread("a1", "slack:C1", new ChatRef("slack", "C1", $"ts-{i}"), T0));
            return (await stores.Ledger.GetThreadAsync("a1", "slack:C1"))!.Thread.Thread;
        });

        var kept = Assert.Single(await Stores.Ledger.ListThreadsAsync("a1")).Thread.Thread;
        Assert.All(threads, seen => Assert.Equal(kept, seen));
    }
}
