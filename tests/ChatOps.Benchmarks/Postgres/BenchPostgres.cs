using System.Diagnostics;
using System.Text;

namespace ChatOps.Benchmarks.Postgres;

/// <summary>
/// A throw-away PostgreSQL cluster started the way tests/ChatOps.Postgres.Tests' fixture does: initdb in a
/// temporary folder, pg_ctl on a free loopback port, durability off; as root the cluster belongs to postgres.
/// </summary>
public sealed class BenchPostgres : IAsyncDisposable
{
    public const string DatabaseName = "chatops_bench";

    private readonly string _binDir;
    private readonly string _folder;
    private readonly bool _asPostgresUser = Environment.IsPrivilegedProcess;

    private BenchPostgres(string binDir, string folder)
    {
        _binDir = binDir;
        _folder = folder;
    }

    public int Port { get; private set; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={DatabaseName};Pooling=true;Maximum Pool Size=20;Timeout=15";

    private string DataDir => Path.Combine(_folder, "data");

    public static async Task<BenchPostgres> StartAsync()
    {
        var binDir = FindBinDir();
        var folder = Path.Combine(Path.GetTempPath(), "chatops-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var server = new BenchPostgres(binDir, folder) { Port = BenchServer.FreePort() };
        if (server._asPostgresUser) await RunAsync("chown", ["postgres:postgres", folder]);
        await server.RunAsPostgresAsync(Path.Combine(binDir, "initdb"), ["-D", server.DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
        await server.RunAsPostgresAsync(Path.Combine(binDir, "pg_ctl"),
        [
            "start", "-D", server.DataDir, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60",
            "-o", $"-F -p {server.Port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                  "-c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB",
        ]);
        await server.RunAsPostgresAsync(Path.Combine(binDir, "psql"), ["-h", folder, "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-c", $"CREATE DATABASE {DatabaseName}"]);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsPostgresAsync(Path.Combine(_binDir, "pg_ctl"), ["stop", "-D", DataDir, "-m", "immediate", "-w", "-t", "60"]);
        }
        finally
        {
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        }
    }

    private static string FindBinDir()
    {
        if (Environment.GetEnvironmentVariable("CHATOPS_PG_BINDIR") is { Length: > 0 } configured) return configured;
        const string debianRoot = "/usr/lib/postgresql";
        return Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot).Select(dir => Path.Combine(dir, "bin")).Where(dir => File.Exists(Path.Combine(dir, "pg_ctl"))).OrderDescending().FirstOrDefault()
              ?? throw new InvalidOperationException("no PostgreSQL server binaries under /usr/lib/postgresql (set CHATOPS_PG_BINDIR)")
            : throw new InvalidOperationException("no PostgreSQL server binaries: install postgresql or set CHATOPS_PG_BINDIR");
    }

    private Task RunAsPostgresAsync(string program, IReadOnlyList<string> arguments) =>
        _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot run {program}");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        output.Append(await stdout).Append(await stderr);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{output}");
    }
}
