using ChatOps.Agent.Metrics;
using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Domain;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Agent.Tests.Metrics;

public sealed class ProcParsersTests
{
    private const string StatBefore = """
        cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0
        cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0
        intr 1462898 0 0
        """;

    private const string StatAfter = """
        cpu  10132253 290696 3084819 46828783 16683 0 25195 0 175700 0
        cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0
        """;

    [Fact]
    public void Cpu_percent_is_the_busy_share_between_two_stat_samples()
    {
        var before = ProcParsers.ParseCpuTimes(StatBefore)!.Value;
        var after = ProcParsers.ParseCpuTimes(StatAfter)!.Value;

        // 100 user + 100 system busy, 300 idle: 200 of 500 jiffies; guest time is not counted twice.
        Assert.Equal(40.0, ProcParsers.CpuPercent(before, after)!.Value, precision: 6);
        Assert.Null(ProcParsers.CpuPercent(after, after));
    }

    [Fact]
    public void Iowait_counts_as_idle()
    {
        var before = ProcParsers.ParseCpuTimes("cpu 0 0 0 0 0 0 0 0")!.Value;
        var after = ProcParsers.ParseCpuTimes("cpu 50 0 0 25 25 0 0 0")!.Value;

        Assert.Equal(50.0, ProcParsers.CpuPercent(before, after)!.Value, precision: 6);
    }

    [Theory]
    [InlineData("intr 1 2 3")]
    [InlineData("cpu  1 2 x 4")]
    [InlineData("cpu  1 2")]
    public void Unreadable_stat_gives_no_cpu_sample(string stat)
    {
        Assert.Null(ProcParsers.ParseCpuTimes(stat));
    }

    [Fact]
    public void Memory_used_is_total_minus_available()
    {
        const string meminfo = """
            MemTotal:       16000000 kB
            MemFree:         1000000 kB
            MemAvailable:   12000000 kB
            Buffers:          500000 kB
            """;

        Assert.Equal(25.0, ProcParsers.ParseMemoryUsedPercent(meminfo)!.Value, precision: 6);
        Assert.Null(ProcParsers.ParseMemoryUsedPercent("MemTotal: 100 kB\nMemFree: 5 kB"));
    }

    [Fact]
    public void Load_and_uptime_come_from_their_files()
    {
        Assert.Equal((0.52, 1.25, 3.5), ProcParsers.ParseLoadAverage("0.52 1.25 3.50 2/1234 56789\n"));
        Assert.Null(ProcParsers.ParseLoadAverage("garbage"));
        Assert.Equal(354712.34, ProcParsers.ParseUptimeSeconds("354712.34 1392310.56\n"));
        Assert.Null(ProcParsers.ParseUptimeSeconds(""));
    }

    [Fact]
    public void Disk_mounts_keep_real_file_systems_once_and_skip_pseudo_ones()
    {
        const string mounts = """
            overlay / overlay rw,relatime,lowerdir=/a,upperdir=/b,workdir=/c 0 0
            proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
            tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755 0 0
            sysfs /sys sysfs ro,nosuid,nodev,noexec,relatime 0 0
            cgroup /sys/fs/cgroup cgroup2 ro 0 0
            /dev/sda1 /boot ext4 rw,relatime 0 0
            /dev/sdb1 /var/lib/data xfs rw,relatime 0 0
            /dev/sdb1 /var/lib/data xfs rw,relatime 0 0
            /dev/sdc1 /mnt/my\040disk btrfs rw 0 0
            devpts /dev/pts devpts rw 0 0
            """;

        Assert.Equal(["/", "/boot", "/var/lib/data", "/mnt/my disk"], ProcParsers.ParseDiskMounts(mounts));
    }

    [Fact]
    public void Disk_used_percent_matches_df()
    {
        // df: used = total - free; Use% = used / (used + available); reserved blocks are not available.
        Assert.Equal(50.0, ProcParsers.DiskUsedPercent(totalBytes: 1000, freeBytes: 550, availableBytes: 450)!.Value, precision: 6);
        Assert.Null(ProcParsers.DiskUsedPercent(0, 0, 0));
    }

    [Fact]
    public void The_collector_reports_every_metric_on_this_linux_host()
    {
        var collector = new HostMetricsCollector(NullLogger.Instance);
        // The two /proc/stat samples must be a few jiffies (10 ms each) apart; spin rather than sleep.
        var spin = DateTime.UtcNow;
        while (DateTime.UtcNow - spin < TimeSpan.FromMilliseconds(50))
        {
        }

        var samples = collector.Collect();

        Assert.Superset(
            new HashSet<string> { MetricNames.CpuPercent, MetricNames.MemoryUsedPercent, MetricNames.Load1, MetricNames.Load5, MetricNames.Load15, MetricNames.UptimeSeconds },
            samples.Select(s => s.Name).ToHashSet());
        Assert.All(samples, s => Assert.InRange(s.Value, 0, double.MaxValue));
        if (ProcParsers.ParseDiskMounts(File.ReadAllText("/proc/mounts")).Contains("/"))
        {
            Assert.Contains(samples, s => s.Name == MetricNames.DiskUsedPercent && s.Labels["mount"] == "/");
        }
    }

    [Fact]
    public void A_missing_proc_folder_gives_an_empty_batch_not_an_error()
    {
        using var temp = new TempFolder();

        Assert.Empty(new HostMetricsCollector(NullLogger.Instance, temp.Path).Collect());
    }
}
