using System.Collections.ObjectModel;
using ChatOps.Core.Domain;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Metrics;

/// <summary>
/// Samples the host from /proc (Linux). CPU use is the busy share between two reads of /proc/stat:
/// the previous collection and this one. A file that is missing or odd drops its metric, not the batch.
/// </summary>
internal sealed class HostMetricsCollector
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = ReadOnlyDictionary<string, string>.Empty;

    private readonly string _procRoot;
    private readonly ILogger _logger;
    private readonly Lock _cpuGate = new();
    private CpuTimes? _previousCpu;

    public HostMetricsCollector(ILogger logger, string procRoot = "/proc")
    {
        _logger = logger;
        _procRoot = procRoot;
        _previousCpu = ReadCpu();
    }

    public IReadOnlyList<MetricSample> Collect()
    {
        var samples = new List<MetricSample>();
        var cpu = ReadCpu();
        lock (_cpuGate)
        {
            if (cpu is { } now && _previousCpu is { } before && ProcParsers.CpuPercent(before, now) is { } cpuPercent)
            {
                samples.Add(new MetricSample(MetricNames.CpuPercent, NoLabels, Math.Round(cpuPercent, 2)));
            }

            _previousCpu = cpu ?? _previousCpu;
        }

        if (Read("meminfo") is { } meminfo && ProcParsers.ParseMemoryUsedPercent(meminfo) is { } memory)
        {
            samples.Add(new MetricSample(MetricNames.MemoryUsedPercent, NoLabels, Math.Round(memory, 2)));
        }

        if (Read("loadavg") is { } loadavg && ProcParsers.ParseLoadAverage(loadavg) is { } load)
        {
            samples.Add(new MetricSample(MetricNames.Load1, NoLabels, load.Load1));
            samples.Add(new MetricSample(MetricNames.Load5, NoLabels, load.Load5));
            samples.Add(new MetricSample(MetricNames.Load15, NoLabels, load.Load15));
        }

        if (Read("uptime") is { } uptime && ProcParsers.ParseUptimeSeconds(uptime) is { } seconds)
        {
            samples.Add(new MetricSample(MetricNames.UptimeSeconds, NoLabels, seconds));
        }

        if (Read("mounts") is { } mounts)
        {
            foreach (var mount in ProcParsers.ParseDiskMounts(mounts))
            {
                if (DiskUsedPercent(mount) is { } disk)
                {
                    samples.Add(new MetricSample(MetricNames.DiskUsedPercent, new Dictionary<string, string> { ["mount"] = mount }, Math.Round(disk, 2)));
                }
            }
        }

        return samples;
    }

    private CpuTimes? ReadCpu() => Read("stat") is { } stat ? ProcParsers.ParseCpuTimes(stat) : null;

    private double? DiskUsedPercent(string mount)
    {
        try
        {
            var drive = new DriveInfo(mount);
            return ProcParsers.DiskUsedPercent(drive.TotalSize, drive.TotalFreeSpace, drive.AvailableFreeSpace);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            _logger.LogDebug("no disk usage for {Mount}: {Error}", mount, e.Message);
            return null;
        }
    }

    private string? Read(string name)
    {
        try
        {
            return File.ReadAllText(Path.Combine(_procRoot, name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("cannot read {File}: {Error}", name, e.Message);
            return null;
        }
    }
}
