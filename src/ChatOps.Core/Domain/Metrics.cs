namespace ChatOps.Core.Domain;

/// <summary>One Prometheus-style sample, e.g. <c>disk_used_percent{mount="/"}</c>.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A batch of samples taken on one server at one moment.</summary>
public sealed record MetricSnapshot(string ServerId, DateTimeOffset At, IReadOnlyList<MetricSample> Samples);

/// <summary>The metric names agents report (fixed by the product spec).</summary>
public static class MetricNames
{
    public const string CpuPercent = "cpu_percent";
    public const string MemoryUsedPercent = "memory_used_percent";
    public const string DiskUsedPercent = "disk_used_percent";
    public const string Load1 = "load1";
    public const string Load5 = "load5";
    public const string Load15 = "load15";
    public const string UptimeSeconds = "uptime_seconds";
}
