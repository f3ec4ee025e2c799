namespace ChatOps.Agent.Tests.Support;

/// <summary>Reads the process table from /proc, for checking what a command left running.</summary>
internal static class ProcessTree
{
    public static IReadOnlyList<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }

            if (Stat(pid) is { } stat && stat.ParentPid == parent)
            {
                children.Add(pid);
            }
        }

        return children;
    }

    /// <summary>Live processes whose argv contains <paramref name="argument"/> as a whole element.</summary>
    public static IReadOnlyList<int> WithArgument(string argument)
    {
        var found = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains(argument) && IsAlive(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // It ended while we looked.
            }
        }

        return found;
    }

    /// <summary>True while the process exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid) => Stat(pid) is { } stat && stat.State is not ('Z' or 'X');

    public static async Task<IReadOnlyList<int>> WaitForChildrenAsync(int parent)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var children = ChildrenOf(parent);
            if (children.Count > 0)
            {
                return children;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"process {parent} started no child within 10 s");
    }

    public static async Task WaitUntilGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (IsAlive(pid) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
    }

    private static (char State, int ParentPid)? Stat(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
