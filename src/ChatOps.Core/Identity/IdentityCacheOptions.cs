namespace ChatOps.Core.Identity;

/// <summary>How long <see cref="IdentityCache"/> may answer without asking the store.</summary>
public sealed class IdentityCacheOptions
{
    /// <summary>
    /// The backstop for the permission rules: a change made by a process whose invalidation was lost
    /// (pub/sub down or reconnecting) is seen by every process within this time. Zero turns the cache off.
    /// </summary>
    public TimeSpan PolicyTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The same backstop for verified API keys and users (their roles). Zero turns the cache off.</summary>
    public TimeSpan IdentityTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Entries kept at most; only verified credentials are cached, so this only bounds a huge user base.</summary>
    public int MaxEntries { get; set; } = 10_000;
}
