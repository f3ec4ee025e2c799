namespace ChatOps.Redis.Internal;

internal static class StateArguments
{
    public static void RequirePositive(TimeSpan ttl, string name = "ttl")
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, ttl, "A TTL must be positive.");
        }
    }

    /// <summary>A TTL in whole milliseconds for PX/PEXPIRE, never rounded down to zero (which Redis refuses).</summary>
    public static long Milliseconds(TimeSpan ttl) => Math.Max(1, (long)Math.Ceiling(ttl.TotalMilliseconds));
}
