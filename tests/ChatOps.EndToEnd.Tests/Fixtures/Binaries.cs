namespace ChatOps.EndToEnd.Tests.Fixtures;

/// <summary>Where the built chatops and chatops-agent binaries are, for the configuration the tests run in.</summary>
public static class Binaries
{
    public static string RepoRoot { get; } = FindRepoRoot();

    private static readonly string Configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string Server => Dll("ChatOps.Server", "chatops.dll");

    public static string Agent => Dll("ChatOps.Agent", "chatops-agent.dll");

    /// <summary>A test-support program built under tests/.</summary>
    public static string TestSupport(string project, string file)
    {
        var path = Path.Combine(RepoRoot, "tests", project, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{file} is not built; run 'dotnet build' first", path);
    }

    private static string Dll(string project, string file)
    {
        var path = Path.Combine(RepoRoot, "src", project, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{file} is not built; run 'dotnet build' first", path);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ChatOps.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("ChatOps.sln not found above " + AppContext.BaseDirectory);
    }
}
