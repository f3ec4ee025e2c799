namespace ChatOps.Postgres.Tests.Support;

/// <summary>Finds the PostgreSQL server programs (initdb, pg_ctl). Not finding them fails the tests, never skips them.</summary>
internal static class PostgresBinaries
{
    public const string BinDirVariable = "CHATOPS_PG_BINDIR";

    public static async Task<string> FindAsync()
    {
        var tried = new List<string>();
        if (Environment.GetEnvironmentVariable(BinDirVariable) is { Length: > 0 } configured)
        {
            return HasServer(configured)
                ? configured
                : throw Missing($"{BinDirVariable}={configured} holds no initdb and pg_ctl");
        }

        try
        {
            var (exitCode, output) = await ProcessRunner.RunAsync("pg_config", ["--bindir"], TimeSpan.FromSeconds(30));
            var binDir = output.Trim();
            if (exitCode == 0 && HasServer(binDir))
            {
                return binDir;
            }

            tried.Add($"pg_config --bindir ({binDir})");
        }
        catch (InvalidOperationException)
        {
            tried.Add("pg_config (not installed)");
        }

        // Debian's versioned layout; the newest version wins.
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(dir => (Dir: Path.Combine(dir, "bin"), Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
                .Where(candidate => HasServer(candidate.Dir))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        tried.Add($"{debianRoot}/*/bin");
        throw Missing($"looked in: {string.Join(", ", tried)}");
    }

    private static bool HasServer(string binDir) =>
        File.Exists(Path.Combine(binDir, "initdb")) && File.Exists(Path.Combine(binDir, "pg_ctl")) && File.Exists(Path.Combine(binDir, "postgres"));

    private static InvalidOperationException Missing(string detail) => new(
        "The PostgreSQL server binaries (initdb, pg_ctl, postgres) are required by ChatOps.Postgres.Tests and were not found " +
        $"({detail}). Install them (Debian: apt-get install postgresql) or point {BinDirVariable} at their folder.");
}
