namespace ChatOps.Agent.Allowlist;

/// <summary>Finds the executable an allowlist names, once, at load: PATH is not consulted at run time.</summary>
internal static class ProgramResolver
{
    private const string FallbackPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Returns the absolute path of <paramref name="program"/>, or null with a reason.</summary>
    public static string? Resolve(string program, string? searchPath, out string? error)
    {
        error = null;
        if (program.Contains('/', StringComparison.Ordinal))
        {
            if (!Path.IsPathFullyQualified(program))
            {
                error = $"'{program}' must be an absolute path or a bare name found on PATH";
                return null;
            }

            if (IsExecutableFile(program))
            {
                return Path.GetFullPath(program);
            }

            error = $"'{program}' is not an executable file";
            return null;
        }

        var folders = (string.IsNullOrEmpty(searchPath) ? FallbackPath : searchPath).Split(Path.PathSeparator);
        foreach (var folder in folders)
        {
            // An empty or relative PATH entry means "the current folder": never look there.
            if (folder.Length == 0 || !Path.IsPathFullyQualified(folder))
            {
                continue;
            }

            var candidate = Path.Combine(folder, program);
            if (IsExecutableFile(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        error = $"'{program}' was not found on PATH";
        return null;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
