using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Redis.Tests.Support;

internal static class TestData
{
    public static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    public static AgentConnection Agent(string serverId, string nodeId, string connectionId) => new(
        serverId,
        nodeId,
        connectionId,
        DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
        "1.4.2",
        ["exec", "metrics"]);

    public static MetricSnapshot Snapshot(string serverId, double cpu) => new(
        serverId,
        DateTimeOffset.UtcNow,
        [new MetricSample(MetricNames.CpuPercent, new Dictionary<string, string>(), cpu)]);
}
