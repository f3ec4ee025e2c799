using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Redis;

/// <summary>Wiring of the Redis state backend (<c>ChatOps:State=redis</c>).</summary>
public static class RedisStateExtensions
{
    /// <summary>
    /// Registers the Redis command lock, agent registry, metrics cache, rate limiter and pub/sub as the
    /// state ports, all on one shared <see cref="RedisStateConnection"/> (also resolvable for its
    /// <see cref="RedisStateConnection.PingAsync"/> health probe). The options are validated at start-up,
    /// every problem reported at once by its <c>ChatOps:Redis:*</c> key; a hosted service connects at
    /// start and closes the connection at stop. Registering twice is harmless: the first registration of
    /// each port wins, and a port registered before (e.g. in-process) is kept.
    /// </summary>
    /// <param name="configure">Sets <see cref="RedisStateOptions"/>, e.g. from the <c>ChatOps:Redis</c> section.</param>
    public static IServiceCollection AddRedisState(this IServiceCollection services, Action<RedisStateOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<RedisStateOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStateOptions>, RedisStateOptionsValidator>());

        services.TryAddSingleton(sp => new RedisStateConnection(
            sp.GetRequiredService<IOptions<RedisStateOptions>>(),
            sp.GetService<ILogger<RedisStateConnection>>()));
        services.TryAddSingleton<ICommandLock>(sp => new RedisCommandLock(sp.GetRequiredService<RedisStateConnection>()));
        services.TryAddSingleton<IAgentRegistry>(sp => new RedisAgentRegistry(sp.GetRequiredService<RedisStateConnection>()));
        services.TryAddSingleton<IMetricsCache>(sp => new RedisMetricsCache(sp.GetRequiredService<RedisStateConnection>()));
        services.TryAddSingleton<IRateLimiter>(sp => new RedisRateLimiter(sp.GetRequiredService<RedisStateConnection>()));
        services.TryAddSingleton(sp => new RedisPubSub(sp.GetRequiredService<RedisStateConnection>(), sp.GetService<ILogger<RedisPubSub>>()));
        services.TryAddSingleton<IPubSub>(sp => sp.GetRequiredService<RedisPubSub>());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisStateLifetime>(
            sp => new RedisStateLifetime(sp.GetRequiredService<RedisStateConnection>())));
        return services;
    }
}
