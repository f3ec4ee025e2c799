using System.Globalization;
using System.Text;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Metrics;

/// <summary>One line of the newest metrics for chat: <c>cpu 3.2% · mem 41% · disk / 60% · load 0.12 0.10 0.05 · up 3d 4h</c>.</summary>
public static class MetricsSummary
{
    public static string Format(MetricSnapshot snapshot)
    {
        double? Get(string name) => snapshot.Samples.FirstOrDefault(s => s.Name == name)?.Value;
        var parts = new List<string>();
        if (Get(MetricNames.CpuPercent) is { } cpu) parts.Add(string.Create(CultureInfo.InvariantCulture, $"cpu {cpu:0.#}%"));
        if (Get(MetricNames.MemoryUsedPercent) is { } mem) parts.Add(string.Create(CultureInfo.InvariantCulture, $"mem {mem:0.#}%"));
        foreach (var disk in snapshot.Samples.Where(s => s.Name == MetricNames.DiskUsedPercent).Take(3))
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"disk {disk.Labels.GetValueOrDefault("mount", "?")} {disk.Value:0.#}%"));
        if (Get(MetricNames.Load1) is { } l1)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"load {l1:0.00} {Get(MetricNames.Load5) ?? 0:0.00} {Get(MetricNames.Load15) ?? 0:0.00}"));
        if (Get(MetricNames.UptimeSeconds) is { } up) parts.Add("up " + FormatUptime(TimeSpan.FromSeconds(up)));
        return parts.Count == 0 ? "no known metrics" : string.Join(" · ", parts);
    }

    private static string FormatUptime(TimeSpan up)
    {
        var text = new StringBuilder();
        if (up.Days > 0) text.Append(CultureInfo.InvariantCulture, $"{up.Days}d ");
        text.Append(CultureInfo.InvariantCulture, $"{up.Hours}h {up.Minutes}m");
        return text.ToString();
    }
}
