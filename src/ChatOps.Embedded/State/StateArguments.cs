namespace ChatOps.Embedded.State;

internal static class StateArguments
{
    public static void RequirePositive(TimeSpan ttl, string name = "ttl")
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, ttl, "A TTL must be positive.");
        }
    }
}
