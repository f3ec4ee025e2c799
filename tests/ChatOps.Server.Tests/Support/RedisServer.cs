using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ChatOps.Redis;

namespace ChatOps.Server.Tests.Support;

/// <summary>
/// A private <c>redis-server</c> on a free loopback port, without persistence, in a temporary folder,
/// stopped by its process id. A missing <c>redis-server</c> fails the tests (tests/run.sh installs it).
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly List<RedisStateConnection> _connections = [];
    private DirectoryInfo? _folder;
    private Process? _process;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("chatops-server-redis-");
        var binary = new[] { Environment.GetEnvironmentVariable("REDIS_SERVER"), "/usr/bin/redis-server", "/usr/local/bin/redis-server" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new InvalidOperationException("redis-server is not installed: `apt-get install -y redis-server` (tests/run.sh does this as root).");
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder.FullName };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _folder.FullName })
            start.ArgumentList.Add(argument);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(15)) throw new InvalidOperationException($"redis-server did not answer on port {Port}");
            await Task.Delay(20);
        }
    }

    /// <summary>A connection with a key prefix of its own, so tests never see each other's keys.</summary>
    public RedisStateConnection Connect()
    {
        var connection = new RedisStateConnection(new RedisStateOptions { Configuration = $"127.0.0.1:{Port}", KeyPrefix = "t" + Guid.NewGuid().ToString("N")[..10] + ":" });
        lock (_connections) _connections.Add(connection);
        return connection;
    }

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections) await connection.DisposeAsync();
        if (_process is { HasExited: false }) _process.Kill();
        if (_process is not null) await _process.WaitForExitAsync();
        _process?.Dispose();
        try
        {
            _folder?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            await client.GetStream().WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await client.GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }
}
