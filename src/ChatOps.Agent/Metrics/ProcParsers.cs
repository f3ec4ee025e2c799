using System.Globalization;
using System.Text;

namespace ChatOps.Agent.Metrics;

/// <summary>Pure parsers for the Linux /proc files the metrics come from (tested with sample contents).</summary>
internal static class ProcParsers
{
    // Pseudo, memory-backed and container-layer file systems: their "usage" says nothing about disks.
    // overlay is kept: in a container it is the root file system people mean by "disk full".
    private static readonly HashSet<string> DiskFileSystems = new(StringComparer.Ordinal)
    {
        "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "overlay", "f2fs", "vfat", "exfat", "jfs", "reiserfs",
        "ntfs", "ntfs3", "fuseblk", "nfs", "nfs4", "cifs", "smb3",
    };

    /// <summary>Aggregate CPU times from the first "cpu " line of /proc/stat.</summary>
    public static CpuTimes? ParseCpuTimes(string stat)
    {
        foreach (var line in stat.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith("cpu "))
            {
                continue;
            }

            var fields = line[4..].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
            {
                return null;
            }

            ulong total = 0;
            var values = new ulong[fields.Length];
            for (var i = 0; i < fields.Length; i++)
            {
                if (!ulong.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
                {
                    return null;
                }
            }

            // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already
            // counted in user and nice, so it is left out of the total.
            for (var i = 0; i < Math.Min(values.Length, 8); i++)
            {
                total += values[i];
            }

            var idle = values[3] + (values.Length > 4 ? values[4] : 0);
            return new CpuTimes(total, idle);
        }

        return null;
    }

    /// <summary>Busy share of CPU time between two samples, 0-100; null when no time passed.</summary>
    public static double? CpuPercent(CpuTimes earlier, CpuTimes later)
    {
        if (later.Total <= earlier.Total)
        {
            return null;
        }

        var total = (double)(later.Total - earlier.Total);
        var idle = later.Idle >= earlier.Idle ? later.Idle - earlier.Idle : 0;
        return Math.Clamp((total - idle) / total * 100.0, 0, 100);
    }

    /// <summary>(MemTotal - MemAvailable) / MemTotal as a percentage, from /proc/meminfo.</summary>
    public static double? ParseMemoryUsedPercent(string meminfo)
    {
        long? total = null;
        long? available = null;
        foreach (var line in meminfo.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("MemTotal:"))
            {
                total = ParseKilobytes(line["MemTotal:".Length..]);
            }
            else if (line.StartsWith("MemAvailable:"))
            {
                available = ParseKilobytes(line["MemAvailable:".Length..]);
            }
        }

        if (total is not > 0 || available is null)
        {
            return null;
        }

        return Math.Clamp((total.Value - available.Value) * 100.0 / total.Value, 0, 100);
    }

    /// <summary>The three load averages from /proc/loadavg.</summary>
    public static (double Load1, double Load5, double Load15)? ParseLoadAverage(string loadavg)
    {
        var fields = loadavg.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 3
            || !TryParseDouble(fields[0], out var load1)
            || !TryParseDouble(fields[1], out var load5)
            || !TryParseDouble(fields[2], out var load15))
        {
            return null;
        }

        return (load1, load5, load15);
    }

    /// <summary>Seconds since boot: the first field of /proc/uptime.</summary>
    public static double? ParseUptimeSeconds(string uptime)
    {
        var fields = uptime.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 1 && TryParseDouble(fields[0], out var seconds) ? seconds : null;
    }

    /// <summary>Mount points of real file systems in /proc/mounts, each once, in file order.</summary>
    public static IReadOnlyList<string> ParseDiskMounts(string mounts)
    {
        var result = new List<string>();
        foreach (var line in mounts.AsSpan().EnumerateLines())
        {
            var fields = line.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3 || !DiskFileSystems.Contains(fields[2]))
            {
                continue;
            }

            var mountPoint = UnescapeMountField(fields[1]);
            if (!result.Contains(mountPoint, StringComparer.Ordinal))
            {
                result.Add(mountPoint);
            }
        }

        return result;
    }

    /// <summary>Used share of a file system the way df computes Use%: used / (used + available to users).</summary>
    public static double? DiskUsedPercent(long totalBytes, long freeBytes, long availableBytes)
    {
        var used = totalBytes - freeBytes;
        var denominator = used + availableBytes;
        return totalBytes <= 0 || denominator <= 0 ? null : Math.Clamp(used * 100.0 / denominator, 0, 100);
    }

    // /proc/mounts writes space, tab, newline and backslash in names as \040, \011, \012 and \134.
    internal static string UnescapeMountField(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                builder.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    private static long? ParseKilobytes(ReadOnlySpan<char> rest)
    {
        var text = rest.Trim();
        if (text.EndsWith("kB"))
        {
            text = text[..^2].TrimEnd();
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var kilobytes) ? kilobytes * 1024 : null;
    }

    private static bool TryParseDouble(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}

/// <summary>Jiffies since boot: all of them, and the idle (idle + iowait) part.</summary>
internal readonly record struct CpuTimes(ulong Total, ulong Idle);
