using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatOps.Redis.Tests;

public sealed class RedisStateOptionsTests
{
    [Fact]
    public void Defaults_with_a_server_are_valid_and_follow_the_spec()
    {
        var options = new RedisStateOptions { Configuration = "127.0.0.1:6379" };

        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(60), options.MetricsTtl);
        Assert.Equal(string.Empty, options.KeyPrefix);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_by_its_configuration_key()
    {
        var options = new RedisStateOptions
        {
            Configuration = " ",
            KeyPrefix = "chat ops:",
            MetricsTtl = TimeSpan.Zero,
            ConnectTimeout = TimeSpan.FromSeconds(-1),
            OperationTimeout = TimeSpan.FromDays(30),
        };

        var failures = options.Validate();

        Assert.Equal(5, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("ChatOps:Redis:Configuration is empty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ChatOps:Redis:KeyPrefix", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ChatOps:Redis:MetricsTtl", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ChatOps:Redis:ConnectTimeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ChatOps:Redis:OperationTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void A_configuration_string_StackExchange_Redis_cannot_read_is_refused_with_its_reason()
    {
        var failure = Assert.Single(new RedisStateOptions { Configuration = "127.0.0.1:6379,notAnOption=1" }.Validate());

        Assert.StartsWith("ChatOps:Redis:Configuration cannot be read:", failure);
        Assert.Contains("notAnOption", failure);
    }

    [Fact]
    public void A_connection_refuses_bad_options_before_touching_the_network()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new RedisStateConnection(new RedisStateOptions { MetricsTtl = TimeSpan.Zero }));

        Assert.Equal(2, error.Failures.Count());
    }

    [Fact]
    public void AddRedisState_guards_its_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => RedisStateExtensions.AddRedisState(null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddRedisState(null!));
    }

    [Fact]
    public void AddRedisState_registers_the_five_ports_on_one_connection_and_twice_is_harmless()
    {
        var services = new ServiceCollection();

        services.AddRedisState(o => o.Configuration = "127.0.0.1:6379");
        var once = services.Count;
        services.AddRedisState(o => o.Configuration = "127.0.0.1:6379");

        foreach (var port in new[] { typeof(ICommandLock), typeof(IAgentRegistry), typeof(IMetricsCache), typeof(IRateLimiter), typeof(IPubSub), typeof(RedisStateConnection) })
        {
            var descriptor = Assert.Single(services, d => d.ServiceType == port);
            Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);
        }

        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<RedisStateOptions>));

        // Only configure actions are added again (they set the same values, and the start-up check is
        // keyed by options type); no service doubles.
        Assert.All(services.Skip(once), d => Assert.Equal(typeof(IConfigureOptions<>), d.ServiceType.GetGenericTypeDefinition()));
    }

    [Fact]
    public void A_port_registered_before_is_kept()
    {
        var services = new ServiceCollection();
        var earlier = ServiceDescriptor.Singleton<ICommandLock>(_ => throw new InvalidOperationException("not resolved here"));
        services.Add(earlier);

        services.AddRedisState(o => o.Configuration = "127.0.0.1:6379");

        Assert.Same(earlier, Assert.Single(services, d => d.ServiceType == typeof(ICommandLock)));
    }

    [Fact]
    public void The_registered_options_are_validated_with_every_failure_named()
    {
        var services = new ServiceCollection();
        services.AddRedisState(o => o.MetricsTtl = TimeSpan.Zero);

        // What the host's options factory does at start-up (ValidateOnStart), from the registrations.
        var setups = services.Where(d => d.ServiceType == typeof(IConfigureOptions<RedisStateOptions>))
            .Select(d => (IConfigureOptions<RedisStateOptions>)d.ImplementationInstance!);
        var validators = services.Where(d => d.ServiceType == typeof(IValidateOptions<RedisStateOptions>))
            .Select(d => (IValidateOptions<RedisStateOptions>)Activator.CreateInstance(d.ImplementationType!)!);
        var factory = new OptionsFactory<RedisStateOptions>(setups, [], validators);

        var error = Assert.Throws<OptionsValidationException>(() => factory.Create(Options.DefaultName));

        Assert.Contains(error.Failures, f => f.StartsWith("ChatOps:Redis:Configuration", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatOps:Redis:MetricsTtl", StringComparison.Ordinal));
        Assert.Contains(services, d => d.ServiceType == typeof(IValidateOptions<RedisStateOptions>) && d.ImplementationType == typeof(RedisStateOptionsValidator));
    }
}
