using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatOps.Kafka.Tests;

public sealed class KafkaBusExtensionsTests
{
    [Fact]
    public void Registering_twice_registers_the_bus_its_validator_and_its_topic_service_once()
    {
        var services = new ServiceCollection();

        services.AddKafkaBus(o => o.BootstrapServers = "kafka:9092").AddKafkaBus(o => o.BootstrapServers = "kafka:9092");

        Assert.Single(services, d => d.ServiceType == typeof(IEventBus) && d.Lifetime == ServiceLifetime.Singleton);
        Assert.Single(services, d => d.ServiceType == typeof(KafkaEventBus) && d.Lifetime == ServiceLifetime.Singleton);
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<KafkaBusOptions>));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(TimeProvider));
    }

    [Fact]
    public void A_bus_registered_before_is_kept()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEventBus, NoBus>();

        services.AddKafkaBus(o => o.BootstrapServers = "kafka:9092");

        var bus = Assert.Single(services, d => d.ServiceType == typeof(IEventBus));
        Assert.Equal(typeof(NoBus), bus.ImplementationType);
    }

    [Fact]
    public void The_options_delegate_is_applied_and_validated_at_start()
    {
        var services = new ServiceCollection();

        services.AddKafkaBus(o => o.Partitions = 6);

        var options = new KafkaBusOptions();
        foreach (var configure in services.Where(d => d.ServiceType == typeof(IConfigureOptions<KafkaBusOptions>)))
        {
            ((IConfigureOptions<KafkaBusOptions>)configure.ImplementationInstance!).Configure(options);
        }

        Assert.Equal(6, options.Partitions);
        Assert.Contains(services, d => d.ServiceType == typeof(IStartupValidator)); // ValidateOnStart: a bad setting stops the host at start-up
    }

    [Fact]
    public void Missing_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => KafkaBusExtensions.AddKafkaBus(null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddKafkaBus(null!));
    }

    private sealed class NoBus : IEventBus
    {
        public Task PublishAsync(string topic, Core.Events.Envelope envelope, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IAsyncDisposable> SubscribeAsync(string topic, string group, EnvelopeHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
