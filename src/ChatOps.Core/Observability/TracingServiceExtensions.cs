using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Core.Observability;

public static class TracingServiceExtensions
{
    /// <summary>
    /// Wraps the registered <see cref="IEventBus"/> in <see cref="TracingEventBus"/>. Call after the bus
    /// adapter is registered; registering twice is harmless.
    /// </summary>
    public static IServiceCollection AddEventBusTracing(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(TracingMarker))) return services;
        var bus = services.LastOrDefault(d => d.ServiceType == typeof(IEventBus) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("Register an event bus (AddInMemoryBus, AddKafkaBus) before AddEventBusTracing.");
        services.Remove(bus);
        services.AddSingleton<TracingMarker>();
        services.AddSingleton<IEventBus>(sp => new TracingEventBus(Create(sp, bus)));
        return services;
    }

    private static IEventBus Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (IEventBus)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    private sealed class TracingMarker;
}
