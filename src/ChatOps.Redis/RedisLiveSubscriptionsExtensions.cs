using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Redis;

public static class RedisLiveSubscriptionsExtensions
{
    /// <summary>
    /// Registers <see cref="RedisLiveSubscriptions"/> (<c>ws:subscribers:{server_id}</c>) as the
    /// <see cref="ILiveSubscriptions"/>, on the connection of <see cref="RedisStateExtensions.AddRedisState"/>
    /// (which must be registered too).
    /// </summary>
    public static IServiceCollection AddRedisLiveSubscriptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ILiveSubscriptions>(sp => new RedisLiveSubscriptions(sp.GetRequiredService<RedisStateConnection>()));
        return services;
    }
}
