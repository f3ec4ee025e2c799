using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus;
using ChatOps.Embedded.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Embedded.Tests.Bus;

public sealed class EmbeddedBusAndStateExtensionsTests
{
    [Fact]
    public void Registering_the_bus_twice_registers_it_once()
    {
        var services = new ServiceCollection();

        services.AddInMemoryBus().AddInMemoryBus();

        Assert.Single(services, d => d.ServiceType == typeof(IEventBus));
        Assert.Single(services, d => d.ServiceType == typeof(InMemoryEventBus) && d.Lifetime == ServiceLifetime.Singleton);
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<InMemoryBusOptions>));
        Assert.Single(services, d => d.ServiceType == typeof(TimeProvider) && d.ImplementationInstance == TimeProvider.System);
    }

    [Fact]
    public void The_bus_options_delegate_is_applied()
    {
        var services = new ServiceCollection();

        services.AddInMemoryBus(o => o.Partitions = 3);

        var options = new InMemoryBusOptions();
        foreach (var configure in services.Where(d => d.ServiceType == typeof(IConfigureOptions<InMemoryBusOptions>)))
        {
            ((IConfigureOptions<InMemoryBusOptions>)configure.ImplementationInstance!).Configure(options);
        }

        Assert.Equal(3, options.Partitions);
    }

    [Fact]
    public void Registering_the_state_twice_registers_each_port_once()
    {
        var services = new ServiceCollection();

        services.AddInMemoryState().AddInMemoryState();

        Assert.Single(services, d => d.ServiceType == typeof(ICommandLock) && d.ImplementationType == typeof(InMemoryCommandLock));
        Assert.Single(services, d => d.ServiceType == typeof(IAgentRegistry) && d.ImplementationType == typeof(InMemoryAgentRegistry));
        Assert.Single(services, d => d.ServiceType == typeof(IMetricsCache) && d.ImplementationType == typeof(InMemoryMetricsCache));
        Assert.Single(services, d => d.ServiceType == typeof(IRateLimiter) && d.ImplementationType == typeof(InMemoryRateLimiter));
        Assert.Single(services, d => d.ServiceType == typeof(IPubSub));
        Assert.All(services, d => Assert.Equal(ServiceLifetime.Singleton, d.Lifetime));
    }

    [Fact]
    public void A_clock_registered_before_is_kept()
    {
        var fake = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(fake);

        services.AddInMemoryState().AddInMemoryBus();

        var clock = Assert.Single(services, d => d.ServiceType == typeof(TimeProvider));
        Assert.Same(fake, clock.ImplementationInstance);
    }

    [Fact]
    public void A_missing_service_collection_is_refused()
    {
        Assert.Throws<ArgumentNullException>(() => EmbeddedBusAndStateExtensions.AddInMemoryBus(null!));
        Assert.Throws<ArgumentNullException>(() => EmbeddedBusAndStateExtensions.AddInMemoryState(null!));
    }
}
