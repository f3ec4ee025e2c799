using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Postgres.Tests.Metrics;

internal static class MetricsTestData
{
    /// <summary>A whole hour, so minute and hour buckets start on it.</summary>
    public static readonly DateTimeOffset H0 = new(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    public static MetricSample Sample(string name, double value, params (string Key, string Value)[] labels) =>
        new(name, labels.ToDictionary(label => label.Key, label => label.Value), value);

    public static MetricSnapshot Snapshot(string serverId, DateTimeOffset at, params MetricSample[] samples) => new(serverId, at, samples);

    public static MetricSnapshot Cpu(string serverId, DateTimeOffset at, double value) =>
        Snapshot(serverId, at, Sample(MetricNames.CpuPercent, value));

    public static MetricQuery Query(string serverId, string name, DateTimeOffset from, DateTimeOffset to, MetricResolution resolution = MetricResolution.Auto, IReadOnlyDictionary<string, string>? labels = null) =>
        new(serverId, name, from, to, labels, resolution);
}
