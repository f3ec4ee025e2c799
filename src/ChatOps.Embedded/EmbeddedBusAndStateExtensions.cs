using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus;
using ChatOps.Embedded.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatOps.Embedded;

/// <summary>Wiring of the in-process bus and state (the zero-setup default). Registering twice is harmless.</summary>
public static class EmbeddedBusAndStateExtensions
{
    /// <summary>
    /// Registers <see cref="InMemoryEventBus"/> as the <see cref="IEventBus"/> singleton, its options
    /// (validated at start-up) and <see cref="TimeProvider.System"/> unless a clock is registered.
    /// </summary>
    public static IServiceCollection AddInMemoryBus(this IServiceCollection services, Action<InMemoryBusOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var options = services.AddOptions<InMemoryBusOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InMemoryBusOptions>, InMemoryBusOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InMemoryEventBus>();
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<InMemoryEventBus>());
        return services;
    }

    /// <summary>
    /// Registers the in-process command lock, agent registry, metrics cache, rate limiter and pub/sub
    /// as singletons, and <see cref="TimeProvider.System"/> unless a clock is registered.
    /// </summary>
    public static IServiceCollection AddInMemoryState(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ICommandLock, InMemoryCommandLock>();
        services.TryAddSingleton<IAgentRegistry, InMemoryAgentRegistry>();
        services.TryAddSingleton<IMetricsCache, InMemoryMetricsCache>();
        services.TryAddSingleton<IRateLimiter, InMemoryRateLimiter>();
        services.TryAddSingleton<InMemoryPubSub>();
        services.TryAddSingleton<IPubSub>(sp => sp.GetRequiredService<InMemoryPubSub>());
        return services;
    }
}
