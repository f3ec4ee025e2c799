namespace ChatOps.Core.Routing;

public sealed class RouterOptions
{
    /// <summary>Lifetime of <c>lock:command:{server}</c>; renewed while the command runs.</summary>
    public TimeSpan LockTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a command queues behind a busy server before it gives up.</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time beyond a command's timeout to wait for the agent's own result before declaring it timed out.</summary>
    public TimeSpan ResultGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often queued and running commands are checked (lock renewal, expiry, lost agents).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a dispatch stays valid for the agent (it refuses one that arrives later).</summary>
    public TimeSpan DispatchValidity { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<string> Validate()
    {
        if (LockTtl < TimeSpan.FromSeconds(1)) yield return "ChatOps:Router:LockTtl must be at least 1 second";
        if (LockWait < TimeSpan.Zero) yield return "ChatOps:Router:LockWait must not be negative";
        if (ResultGrace < TimeSpan.Zero) yield return "ChatOps:Router:ResultGrace must not be negative";
        if (SweepInterval <= TimeSpan.Zero) yield return "ChatOps:Router:SweepInterval must be positive";
        if (DispatchValidity <= TimeSpan.Zero) yield return "ChatOps:Router:DispatchValidity must be positive";
    }
}
