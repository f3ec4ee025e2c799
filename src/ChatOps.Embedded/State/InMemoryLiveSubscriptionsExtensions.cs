using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Embedded;

public static class InMemoryLiveSubscriptionsExtensions
{
    /// <summary>Registers <see cref="InMemoryLiveSubscriptions"/> as the <see cref="ILiveSubscriptions"/> unless one is registered.</summary>
    public static IServiceCollection AddInMemoryLiveSubscriptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ILiveSubscriptions>(sp => new InMemoryLiveSubscriptions(sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
