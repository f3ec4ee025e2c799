using ChatOps.Core.Agents;

namespace ChatOps.Core.Tests.Agents;

public sealed class ReplayWindowTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_nonce_is_taken_once_and_refused_while_it_is_remembered()
    {
        var window = new ReplayWindow();

        Assert.Equal(ReplayCheck.Fresh, window.TryTake("nonce-a", Now.AddSeconds(90), Now));
        Assert.Equal(ReplayCheck.Replayed, window.TryTake("nonce-a", Now.AddSeconds(90), Now.AddSeconds(89)));
        Assert.Equal(ReplayCheck.Fresh, window.TryTake("nonce-b", Now.AddSeconds(90), Now));
    }

    [Fact]
    public void Nonces_past_their_forget_time_are_dropped()
    {
        var window = new ReplayWindow();
        window.TryTake("nonce-a", Now.AddSeconds(10), Now);
        window.TryTake("nonce-b", Now.AddSeconds(60), Now);

        window.TryTake("nonce-c", Now.AddSeconds(80), Now.AddSeconds(11));

        Assert.Equal(2, window.Count);
    }

    [Fact]
    public void When_full_it_forgets_the_soonest_expiring_and_refuses_anything_expiring_no_later_than_that()
    {
        var window = new ReplayWindow(capacity: 3);
        window.TryTake("n1", Now.AddSeconds(10), Now);
        window.TryTake("n2", Now.AddSeconds(20), Now);
        window.TryTake("n3", Now.AddSeconds(30), Now);

        Assert.Equal(ReplayCheck.Fresh, window.TryTake("n4", Now.AddSeconds(40), Now));

        Assert.Equal(3, window.Count);
        // n1 is forgotten, but cannot come back: its expiry is at or below what the window let go of.
        Assert.Equal(ReplayCheck.BeyondMemory, window.TryTake("n1", Now.AddSeconds(10), Now));
        Assert.Equal(ReplayCheck.Replayed, window.TryTake("n2", Now.AddSeconds(20), Now));
        Assert.Equal(ReplayCheck.Fresh, window.TryTake("n5", Now.AddSeconds(50), Now));
    }
}
