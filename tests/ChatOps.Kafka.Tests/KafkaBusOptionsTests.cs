using Microsoft.Extensions.Options;

namespace ChatOps.Kafka.Tests;

public sealed class KafkaBusOptionsTests
{
    [Fact]
    public void The_defaults_need_only_the_bootstrap_servers()
    {
        var problem = Assert.Single(new KafkaBusOptions().Validate());
        Assert.StartsWith("ChatOps:Kafka:BootstrapServers is required", problem, StringComparison.Ordinal);

        Assert.Empty(new KafkaBusOptions { BootstrapServers = "kafka-1:9092,kafka-2:9092" }.Validate());
    }

    [Fact]
    public void Every_problem_is_reported_at_once_each_naming_its_key()
    {
        var options = new KafkaBusOptions
        {
            BootstrapServers = "kafka-1",
            ClientId = " ",
            Partitions = 0,
            ReplicationFactor = 2,
            MinInsyncReplicas = 3,
            DeliveryTimeout = TimeSpan.Zero,
            QueueBufferingMaxMessages = 0,
            MessageMaxBytes = 10,
            SessionTimeout = TimeSpan.FromSeconds(3),
            HeartbeatInterval = TimeSpan.FromSeconds(3),
            FetchWaitMax = TimeSpan.FromSeconds(-1),
            MaxBufferedPerPartition = 0,
        };

        var problems = options.Validate();

        string[] keys =
        [
            "BootstrapServers", "ClientId", "Partitions", "MinInsyncReplicas", "DeliveryTimeout",
            "QueueBufferingMaxMessages", "MessageMaxBytes", "HeartbeatInterval", "FetchWaitMax", "MaxBufferedPerPartition",
        ];
        foreach (var key in keys)
        {
            Assert.Contains(problems, p => p.StartsWith($"ChatOps:Kafka:{key} ", StringComparison.Ordinal));
        }

        Assert.Equal(keys.Length, problems.Count);
        Assert.Contains(problems, p => p.Contains("(was 'kafka-1')", StringComparison.Ordinal));
    }

    [Fact]
    public void Replication_factor_one_is_allowed_for_a_one_broker_dev_cluster()
    {
        var options = new KafkaBusOptions { BootstrapServers = "localhost:9092", ReplicationFactor = 1, MinInsyncReplicas = 1 };

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void The_validator_and_the_bus_refuse_bad_options_with_every_problem()
    {
        var options = new KafkaBusOptions { Partitions = -1 };

        var result = new KafkaBusOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());

        var thrown = Assert.Throws<OptionsValidationException>(() => new KafkaEventBus(Options.Create(options)));
        Assert.Equal(2, thrown.Failures.Count());
        Assert.Contains(thrown.Failures, f => f.Contains("ChatOps:Kafka:Partitions", StringComparison.Ordinal));
    }
}
