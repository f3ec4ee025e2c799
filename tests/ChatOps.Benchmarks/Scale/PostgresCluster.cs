using System.Diagnostics;
using System.Globalization;

namespace ChatOps.Benchmarks.Scale;

/// <summary>
/// A throw-away PostgreSQL cluster for a benchmark run (initdb in a temporary folder, pg_ctl on a free
/// loopback port; as root the cluster belongs to postgres). Durable by default (fsync and
/// synchronous_commit on: a commit the store reports is on disk, as in production); the ingestion
/// scenario turns durability off, as the PostgreSQL test fixture does, to measure the write path itself.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgres = Environment.IsPrivilegedProcess;
    private bool _running;

    private PostgresCluster(string bin, string folder)
    {
        _bin = bin;
        _folder = folder;
    }

    public int Port { get; private set; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Maximum Pool Size=100;Timeout=15";

    private string DataDir => Path.Combine(_folder, "data");

    public static async Task<PostgresCluster> StartAsync(bool durable = true)
    {
        var folder = Path.Combine(Path.GetTempPath(), "chatops-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var cluster = new PostgresCluster(await FindBinAsync(), folder);
        try
        {
            if (cluster._asPostgres) await RunAsync("chown", ["postgres:postgres", folder]);
            await cluster.RunPgAsync("initdb", ["-D", cluster.DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
            cluster.Port = BenchServer.FreePort();
            await cluster.RunPgAsync("pg_ctl", ["start", "-D", cluster.DataDir, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60",
                "-o", $"-p {cluster.Port.ToString(CultureInfo.InvariantCulture)} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB" +
                      (durable ? "" : " -F -c synchronous_commit=off -c full_page_writes=off")]);
            cluster._running = true;
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            _running = false;
            await RunPgAsync("pg_ctl", ["stop", "-D", DataDir, "-m", "immediate", "-w", "-t", "60"]);
        }

        try { Directory.Delete(_folder, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Task RunPgAsync(string program, string[] arguments) =>
        _asPostgres ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. arguments]) : RunAsync(Path.Combine(_bin, program), arguments);

    private static async Task<string> RunAsync(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {await output}{await error}");
        return await output;
    }

    private static async Task<string> FindBinAsync()
    {
        static bool HasServer(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
        try
        {
            var bin = (await RunAsync("pg_config", ["--bindir"])).Trim();
            if (HasServer(bin)) return bin;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // not installed: Debian's versioned folders below
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(HasServer).OrderDescending().FirstOrDefault()
              ?? throw new InvalidOperationException("no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql")
            : throw new InvalidOperationException("no PostgreSQL server binaries: install postgresql");
    }
}
