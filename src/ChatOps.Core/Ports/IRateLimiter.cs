namespace ChatOps.Core.Ports;

/// <summary>At most <see cref="Limit"/> calls per <see cref="Window"/>.</summary>
public sealed record RateLimitPolicy(int Limit, TimeSpan Window);

/// <summary>The answer: allowed or not, what is left, and when to retry.</summary>
public sealed record RateLimitDecision(bool Allowed, int Remaining, TimeSpan RetryAfter);

/// <summary><c>ratelimit:{user_id}:{endpoint}</c>: a sliding-window counter per user and endpoint.</summary>
public interface IRateLimiter
{
    Task<RateLimitDecision> TryAcquireAsync(string userId, string endpoint, RateLimitPolicy policy, CancellationToken cancellationToken = default);
}
