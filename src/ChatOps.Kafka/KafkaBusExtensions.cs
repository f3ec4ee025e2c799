using ChatOps.Core.Ports;
using ChatOps.Kafka.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatOps.Kafka;

/// <summary>Wiring of the Kafka bus (<c>ChatOps:Bus=kafka</c>). Registering twice is harmless.</summary>
public static class KafkaBusExtensions
{
    /// <summary>
    /// Registers <see cref="KafkaEventBus"/> as the <see cref="IEventBus"/> singleton (unless a bus is
    /// already registered), its options (every problem reported together at start-up), a hosted service
    /// that creates the ChatOps topics where missing, and <see cref="TimeProvider.System"/> unless a clock
    /// is registered. Readiness: <see cref="KafkaEventBus.IsConnectedAsync"/>.
    /// </summary>
    public static IServiceCollection AddKafkaBus(this IServiceCollection services, Action<KafkaBusOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<KafkaBusOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaBusOptions>, KafkaBusOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KafkaEventBus>();
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<KafkaEventBus>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KafkaTopicsHostedService>());
        return services;
    }
}
