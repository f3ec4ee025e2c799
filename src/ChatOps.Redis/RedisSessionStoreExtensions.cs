using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Redis;

public static class RedisSessionStoreExtensions
{
    /// <summary>
    /// Registers <see cref="RedisSessionStore"/> as the <see cref="ISessionStore"/>, on the connection of
    /// <see cref="RedisStateExtensions.AddRedisState"/> (which must be registered too).
    /// </summary>
    public static IServiceCollection AddRedisSessions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ISessionStore>(sp => new RedisSessionStore(sp.GetRequiredService<RedisStateConnection>(), sp.GetService<TimeProvider>()));
        return services;
    }
}
