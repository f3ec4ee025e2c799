using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ChatOps.Postgres.Tests.Support;

/// <summary>
/// One server of a <see cref="PostgresReplicaSet"/>: a data folder, a loopback port and a socket
/// folder of its own. Like <see cref="PostgresServer"/>, as root its programs run as the
/// <c>postgres</c> user (initdb refuses root), which owns the replica set's folder.
/// </summary>
internal sealed class PostgresNode
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private readonly string _binDir;
    private readonly bool _asPostgresUser;
    private bool _running;

    public PostgresNode(string name, string binDir, string folder, bool asPostgresUser)
    {
        Name = name;
        _binDir = binDir;
        Folder = folder;
        _asPostgresUser = asPostgresUser;
        Port = FreePort();
    }

    public string Name { get; }

    public string Folder { get; }

    public int Port { get; }

    public string DataDir => Path.Combine(Folder, "data");

    private string LogFile => Path.Combine(Folder, "server.log");

    /// <summary>The superuser on <paramref name="database"/> of this server alone (no pooling: checks open and close).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = false,
        Timeout = 15,
    }.ConnectionString;

    public async Task InitDbAsync()
    {
        Directory.CreateDirectory(Folder);
        await GiveToServerUserAsync(Folder);
        await RunCheckedAsync("initdb",
            ["-D", DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
    }

    /// <summary>Copies <paramref name="primary"/> with pg_basebackup; -R makes this node a streaming standby of it.</summary>
    public async Task BaseBackupFromAsync(PostgresNode primary, string replicationUser)
    {
        Directory.CreateDirectory(Folder);
        await GiveToServerUserAsync(Folder);
        await RunCheckedAsync("pg_basebackup",
            ["-h", "127.0.0.1", "-p", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", replicationUser,
             "-D", DataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"]);
    }

    /// <param name="settings">Extra <c>-c name=value</c> server settings.</param>
    public async Task StartAsync(IEnumerable<string> settings)
    {
        var options = $"-p {Port} -k {Folder} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB " +
                      string.Join(' ', settings.Select(setting => $"-c {setting}"));
        // Set before starting: a failed start may still have left a postmaster behind to clean up.
        _running = true;
        await RunCheckedAsync("pg_ctl", ["start", "-D", DataDir, "-l", LogFile, "-w", "-t", "60", "-o", options]);
    }

    /// <summary>Makes this standby the primary; pg_ctl waits until it accepts writes.</summary>
    public Task PromoteAsync() => RunCheckedAsync("pg_ctl", ["promote", "-D", DataDir, "-w", "-t", "60"]);

    /// <summary>
    /// pg_ctl stop -m immediate: every server process quits at once without a checkpoint, as in a
    /// crash; clients see their connections drop. The node is not started again.
    /// </summary>
    public async Task CrashAsync()
    {
        await RunCheckedAsync("pg_ctl", ["stop", "-D", DataDir, "-m", "immediate", "-w", "-t", "60"]);
        _running = false;
    }

    /// <summary>Stops the node however it can: pg_ctl first, else SIGKILL to the postmaster named in postmaster.pid.</summary>
    public async Task StopForCleanUpAsync()
    {
        if (!_running)
        {
            return;
        }

        _running = false;
        try
        {
            var (exitCode, _) = await RunAsync("pg_ctl", ["stop", "-D", DataDir, "-m", "immediate", "-w", "-t", "30"]);
            if (exitCode == 0)
            {
                return;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Fall through to the kill below.
        }

        KillPostmaster();
    }

    public string ServerLogTail() =>
        File.Exists(LogFile) ? $"{Name} server log:\n" + string.Join('\n', File.ReadLines(LogFile).TakeLast(30)) : $"({Name}: no server log)";

    private void KillPostmaster()
    {
        var pidFile = Path.Combine(DataDir, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            return;
        }

        try
        {
            // Its backends notice the postmaster is gone and exit by themselves.
            using var postmaster = System.Diagnostics.Process.GetProcessById(pid);
            postmaster.Kill();
        }
        catch (ArgumentException)
        {
            // Not running any more.
        }
    }

    private async Task GiveToServerUserAsync(string folder)
    {
        if (!_asPostgresUser)
        {
            return;
        }

        var (exitCode, output) = await ProcessRunner.RunAsync("chown", ["postgres:postgres", folder], CommandTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"cannot give {folder} to the postgres user (tests run as root, and initdb refuses root): {output}");
        }
    }

    private async Task RunCheckedAsync(string program, IReadOnlyList<string> arguments)
    {
        var (exitCode, output) = await RunAsync(program, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments[0]} on {Name} failed ({exitCode}):\n{output}\n{ServerLogTail()}");
        }
    }

    private Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_binDir, program);
        return _asPostgresUser
            ? ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], CommandTimeout)
            : ProcessRunner.RunAsync(path, arguments, CommandTimeout);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
