using System.Globalization;

namespace ChatOps.Benchmarks.Agents;

/// <summary>
/// Another process's memory from /proc: its working set (VmRSS), and the resident part of the GC heap, the
/// one huge anonymous mapping the .NET GC reserves for its regions (the process exposes no managed-heap
/// counter we could read from outside, and the diagnostics client is not referenced here).
/// </summary>
public readonly record struct ProcessMemory(long WorkingSetBytes, long GcHeapResidentBytes)
{
    private const long GcReservationAtLeast = 16L << 30;

    public static ProcessMemory Read(int pid)
    {
        long rss = 0, gc = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);

        // The GC reserves one huge range and commits regions inside it, which splits it into several
        // adjacent anonymous mappings: find the contiguous run of anonymous mappings that holds a huge
        // reservation and add up what is resident in it.
        var mappings = new List<(ulong Start, ulong End, bool Anonymous, long SizeBytes, long RssBytes)>();
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var from)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var to))
            {
                mappings.Add((from, to, line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 6, 0, 0));
            }
            else if (mappings.Count > 0 && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                mappings[^1] = mappings[^1] with { RssBytes = Kilobytes(line) };
            }
            else if (mappings.Count > 0 && line.StartsWith("Size:", StringComparison.Ordinal))
            {
                mappings[^1] = mappings[^1] with { SizeBytes = Kilobytes(line) };
            }
        }

        for (var i = 0; i < mappings.Count;)
        {
            var j = i;
            long runRss = 0;
            var huge = false;
            while (j < mappings.Count && mappings[j].Anonymous && (j == i || mappings[j].Start == mappings[j - 1].End))
            {
                runRss += mappings[j].RssBytes;
                huge |= mappings[j].SizeBytes >= GcReservationAtLeast;
                j++;
            }

            if (huge) gc += runRss;
            i = Math.Max(j, i + 1);
        }

        return new ProcessMemory(rss, gc);
    }

    public static ProcessMemory operator -(ProcessMemory after, ProcessMemory before) =>
        new(after.WorkingSetBytes - before.WorkingSetBytes, after.GcHeapResidentBytes - before.GcHeapResidentBytes);

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
