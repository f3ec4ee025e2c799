using ChatOps.Core.Ports;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Identity;

public sealed class CommandThrottleOptions
{
    /// <summary>Chat commands per user per minute, on every platform together (<c>ChatOps:RateLimits:CommandsPerMinute</c>).</summary>
    public int PerMinute { get; set; } = 120;
}

/// <summary>The per-user budget of chat commands: <c>ratelimit:{user_id}:commands</c>.</summary>
public sealed class CommandThrottle(IRateLimiter limiter, IOptions<CommandThrottleOptions> options)
{
    public const string Endpoint = "commands";

    public RateLimitPolicy Policy { get; } = new(Math.Max(1, options.Value.PerMinute), TimeSpan.FromMinutes(1));

    public Task<RateLimitDecision> TryAcquireAsync(string userId, CancellationToken cancellationToken = default) =>
        limiter.TryAcquireAsync(userId, Endpoint, Policy, cancellationToken);
}
