using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ChatOps.Postgres.Tests.Support;

/// <summary>
/// A throw-away PostgreSQL cluster: initdb in a temporary folder, started with pg_ctl on a free
/// loopback port with its socket in that folder, durability switched off for speed. initdb
/// refuses to run as root, so as root the cluster belongs to the <c>postgres</c> user.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    public const string DatabaseName = "chatops_tests";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private readonly string _binDir;
    private readonly string _folder;
    private readonly bool _asPostgresUser;
    private bool _running;

    private PostgresServer(string binDir, string folder, bool asPostgresUser)
    {
        _binDir = binDir;
        _folder = folder;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; private set; }

    private string DataDir => Path.Combine(_folder, "data");

    private string LogFile => Path.Combine(_folder, "server.log");

    /// <summary>The test database, as the superuser.</summary>
    public string ConnectionString => Connection(DatabaseName);

    public static async Task<PostgresServer> StartAsync()
    {
        var binDir = await PostgresBinaries.FindAsync();
        var folder = Path.Combine(Path.GetTempPath(), "chatops-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var server = new PostgresServer(binDir, folder, Environment.IsPrivilegedProcess);
        try
        {
            await server.InitAsync();
            await server.StartAgainAsync();
            await using var admin = new NpgsqlConnection(server.Connection("postgres"));
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", admin);
            await create.ExecuteNonQueryAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// pg_ctl stop. "fast" (what pg_ctl restart does) ends every session, so clients see their
    /// connections break, and keeps what was committed. "immediate" is a crash: with this
    /// cluster's synchronous_commit=off, the last commits can be lost, so only clean-up uses it.
    /// </summary>
    public async Task StopAsync(string mode = "fast")
    {
        if (!_running)
        {
            return;
        }

        await PgCtlAsync("stop", "-D", DataDir, "-m", mode, "-w", "-t", "60");
        _running = false;
    }

    /// <summary>Starts the stopped server again on the same port, with the same data.</summary>
    public async Task StartAgainAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            if (Port == 0)
            {
                Port = FreePort();
            }

            var (exitCode, output) = await RunAsync(Path.Combine(_binDir, "pg_ctl"),
            [
                "start", "-D", DataDir, "-l", LogFile, "-w", "-t", "60",
                "-o", $"-F -p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                      "-c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB",
            ]);
            if (exitCode == 0)
            {
                _running = true;
                return;
            }

            // Someone took the port between our probe and the server's bind: pick another, but
            // only on the first start (a restart must keep its port).
            if (attempt >= 3 || _running)
            {
                throw new InvalidOperationException($"pg_ctl start failed ({exitCode}):\n{output}\n{ServerLogTail()}");
            }

            Port = 0;
        }
    }

    /// <summary>Like pg_ctl restart: the server goes down (connections break) and comes back on the same port.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync("immediate");
        }
        finally
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }
    }

    private string Connection(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        MaxPoolSize = 60,
        Timeout = 15,
    }.ConnectionString;

    private async Task InitAsync()
    {
        if (_asPostgresUser)
        {
            var (chownExit, chownOutput) = await ProcessRunner.RunAsync("chown", ["postgres:postgres", _folder], CommandTimeout);
            if (chownExit != 0)
            {
                throw new InvalidOperationException($"cannot give {_folder} to the postgres user (tests run as root, and initdb refuses root): {chownOutput}");
            }
        }

        var (exitCode, output) = await RunAsync(Path.Combine(_binDir, "initdb"),
            ["-D", DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"initdb failed ({exitCode}):\n{output}");
        }
    }

    private async Task PgCtlAsync(params string[] arguments)
    {
        var (exitCode, output) = await RunAsync(Path.Combine(_binDir, "pg_ctl"), arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl {arguments[0]} failed ({exitCode}):\n{output}\n{ServerLogTail()}");
        }
    }

    private Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments) =>
        _asPostgresUser
            ? ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments], CommandTimeout)
            : ProcessRunner.RunAsync(program, arguments, CommandTimeout);

    private string ServerLogTail() =>
        File.Exists(LogFile) ? "server log:\n" + string.Join('\n', File.ReadLines(LogFile).TakeLast(30)) : "(no server log)";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
