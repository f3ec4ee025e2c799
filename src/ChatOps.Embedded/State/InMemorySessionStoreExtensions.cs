using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Embedded;

public static class InMemorySessionStoreExtensions
{
    /// <summary>Registers <see cref="InMemorySessionStore"/> as the <see cref="ISessionStore"/> unless one is registered.</summary>
    public static IServiceCollection AddInMemorySessions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISessionStore>(sp => new InMemorySessionStore(sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
