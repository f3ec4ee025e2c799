namespace ChatOps.EndToEnd.Tests.Scale;

/// <summary>The settings every scale-mode process of a test shares: Kafka bus, Redis state, PostgreSQL store.</summary>
public static class ScaleSettings
{
    public static Dictionary<string, string> Shared(string kafkaBootstrapServers, string redisConfiguration, string postgresConnectionString) => new()
    {
        ["ChatOps__Bus"] = "kafka",
        ["ChatOps__Kafka__BootstrapServers"] = kafkaBootstrapServers,
        // The mock cluster holds empty fetches for the whole wait and rebalances at session-timeout pace.
        ["ChatOps__Kafka__FetchWaitMax"] = "00:00:00.005",
        ["ChatOps__Kafka__SessionTimeout"] = "00:00:02",
        ["ChatOps__Kafka__HeartbeatInterval"] = "00:00:00.100",
        ["ChatOps__Kafka__ReplicationFactor"] = "3",
        ["ChatOps__State"] = "redis",
        ["ChatOps__Redis__Configuration"] = redisConfiguration,
        ["ChatOps__Store"] = "postgres",
        ["ChatOps__Postgres__ConnectionString"] = postgresConnectionString,
    };
}
