using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChatOps.Redis.Tests.Support;

/// <summary>
/// A private <c>redis-server</c> on a free loopback port, without persistence, in a temporary folder;
/// stopped by its process id. <see cref="StopAsync"/> and <see cref="StartAsync"/> restart the same port,
/// for tests that take Redis away. A missing <c>redis-server</c> fails the tests (never skips them).
/// Used as an xUnit class fixture: one server per test class, so classes run in parallel.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(15);

    private readonly List<RedisStateConnection> _connections = [];
    private readonly StringBuilder _log = new();
    private DirectoryInfo? _folder;
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("chatops-redis-");
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;

        // Another process may take the free port between our probe and redis-server's bind: try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && _process is { HasExited: true })
            {
                _process = null;
            }
        }
    }

    /// <summary>Starts the server (again) on <see cref="Port"/> and returns once it answers PING.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("redis-server is already running");
        }

        var start = new ProcessStartInfo(FindRedisServer())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder!.FullName,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", _folder.FullName,
            "--daemonize", "no",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}:\n{LogText()}");
            }

            if (deadline.Elapsed > StartPatience)
            {
                throw new TimeoutException($"redis-server did not answer PING on port {Port} within {StartPatience}:\n{LogText()}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Kills the server (as a crash would) and waits until it is gone; its data is lost.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync().WaitAsync(StartPatience);
        process.Dispose();
    }

    /// <summary>A new connection (its own multiplexer) to this server; closed when the fixture ends.</summary>
    public RedisStateConnection Connect(string? keyPrefix = null, Action<RedisStateOptions>? configure = null)
    {
        var options = new RedisStateOptions
        {
            Configuration = Configuration,
            KeyPrefix = keyPrefix ?? NewKeyPrefix(),
        };
        configure?.Invoke(options);
        var connection = new RedisStateConnection(options);
        lock (_connections)
        {
            _connections.Add(connection);
        }

        return connection;
    }

    /// <summary>A prefix no other test uses, so tests sharing this server never see each other's keys.</summary>
    public static string NewKeyPrefix() => "test-" + Guid.NewGuid().ToString("N")[..12] + ":";

    public async Task DisposeAsync()
    {
        List<RedisStateConnection> connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        await StopAsync();
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        try
        {
            _folder?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    // A test run that ends abruptly must not leave servers behind.
    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process?.Kill();
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string FindRedisServer()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("REDIS_SERVER");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"])
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException(
            "redis-server is not installed, so the Redis tests cannot run (they fail rather than skip). "
            + "Install it with `apt-get install -y redis-server` (tests/run.sh does this when run as root), "
            + "or point REDIS_SERVER at the binary.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private string LogText()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }
}
