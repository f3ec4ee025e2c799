namespace ChatOps.Conformance.State;

/// <summary>
/// The time hooks shared by the state suites. In-process adapters move a fake clock; Redis waits for
/// real expiry, so it overrides <see cref="ShortTtl"/> with something short (a few hundred ms).
/// </summary>
public abstract class ExpiringStateConformance
{
    /// <summary>The TTL of tests that watch something expire.</summary>
    protected virtual TimeSpan ShortTtl => TimeSpan.FromSeconds(30);

    /// <summary>A TTL no test outlives.</summary>
    protected virtual TimeSpan LongTtl => TimeSpan.FromMinutes(10);

    /// <summary>The clock the adapter reads, to check the times it reports.</summary>
    protected virtual TimeProvider Clock => TimeProvider.System;

    /// <summary>How far reported times may stray from <see cref="Clock"/> (Redis server vs. test machine).</summary>
    protected virtual TimeSpan ClockTolerance => TimeSpan.FromSeconds(2);

    /// <summary>Lets at least <paramref name="span"/> pass for the adapter (and a little more).</summary>
    protected abstract Task AdvancePastAsync(TimeSpan span);

    /// <summary>A fresh id, so tests sharing one Redis never see each other's keys.</summary>
    protected static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");

    protected void AssertNear(DateTimeOffset expected, DateTimeOffset actual)
    {
        var off = (actual - expected).Duration();
        Assert.True(off <= ClockTolerance, $"expected about {expected:O}, got {actual:O} ({off} off)");
    }
}
