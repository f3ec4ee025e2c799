using ChatOps.Core.Chat;
using static ChatOps.Conformance.Alerts.AlertTestData;

namespace ChatOps.Conformance.Alerts;

/// <summary>
/// <see cref="RequestAcceptance"/> over an adapter's <see cref="Core.Ports.INotificationLedger"/>: the
/// router and the intake race for a request the bus refused but may deliver, and whoever claims first
/// keeps it for good (its century-long lease must work in the adapter's timestamp arithmetic).
/// </summary>
public abstract class RequestAcceptanceConformanceTests : AlertingConformanceTests
{
    [Theory]
    [InlineData(RequestAcceptance.Router, RequestAcceptance.Intake)]
    [InlineData(RequestAcceptance.Intake, RequestAcceptance.Router)]
    public async Task The_first_side_to_claim_a_request_keeps_it_however_late_the_other_comes_and_claims_again_on_redelivery(string first, string second)
    {
        var replica = CreateReplicaStores();

        Assert.True(await RequestAcceptance.TryClaimAsync(Stores.Ledger, "r1", first, T0));
        Assert.False(await RequestAcceptance.TryClaimAsync(replica.Ledger, "r1", second, T0.AddSeconds(1)));
        Assert.False(await RequestAcceptance.TryClaimAsync(replica.Ledger, "r1", second, T0.AddYears(50)));
        Assert.True(await RequestAcceptance.TryClaimAsync(replica.Ledger, "r1", first, T0.AddYears(50)));
        Assert.False(await RequestAcceptance.TryClaimAsync(Stores.Ledger, "r1", second, T0.AddYears(99)));

        // Another request, and an alert announcement that happens to share the id, are claims of their own.
        Assert.True(await RequestAcceptance.TryClaimAsync(Stores.Ledger, "r2", second, T0));
        Assert.Equal(Core.Ports.ClaimOutcome.Claimed, await Stores.Ledger.TryClaimAsync(new("r1", "slack:C1", "fired"), "n1", T0, Lease));
    }

    [Fact]
    public async Task Of_a_router_and_an_intake_racing_from_several_replicas_exactly_one_side_wins_each_request()
    {
        var replicas = Replicas(3);
        for (var round = 0; round < 10; round++)
        {
            var requestId = $"race-{round}";
            var outcomes = await RunConcurrentlyAsync(8, replicas, async (stores, i) =>
            {
                var owner = i % 2 == 0 ? RequestAcceptance.Router : RequestAcceptance.Intake;
                return (Owner: owner, Won: await RequestAcceptance.TryClaimAsync(stores.Ledger, requestId, owner, T0));
            });

            var winners = outcomes.Where(o => o.Won).Select(o => o.Owner).Distinct().ToList();
            var winner = Assert.Single(winners);
            Assert.All(outcomes.Where(o => o.Owner == winner), o => Assert.True(o.Won)); // the winning side claims again
            Assert.All(outcomes.Where(o => o.Owner != winner), o => Assert.False(o.Won));
        }
    }
}
