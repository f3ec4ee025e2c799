using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace ChatOps.Redis.Tests.Support;

/// <summary>
/// One <c>redis-server</c> process on a free loopback port, without persistence, that a failover test can
/// crash (SIGKILL), freeze (SIGSTOP, a stand-in for a network partition: the socket stays open and nothing
/// answers) and thaw (SIGCONT), and send single commands to over a plain socket, independent of the
/// client under test. <see cref="RedisServerFixture"/> is the simpler one-server fixture most tests use.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private const int SignalContinue = 18;
    private const int SignalStop = 19;
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(15);

    private readonly StringBuilder _log = new();
    private readonly DirectoryInfo _folder;
    private Process? _process;
    private bool _frozen;

    private RedisServerProcess(DirectoryInfo folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string EndPoint => $"127.0.0.1:{Port}";

    /// <summary>Starts a server; with <paramref name="replicaOf"/> it is a replica of that server.</summary>
    public static async Task<RedisServerProcess> StartAsync(RedisServerProcess? replicaOf = null)
    {
        var folder = Directory.CreateTempSubdirectory("chatops-redis-failover-");
        for (var attempt = 1; ; attempt++)
        {
            var server = new RedisServerProcess(folder, FreePort());
            try
            {
                await server.LaunchAsync(replicaOf);
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Another process took the probed port before redis-server bound it: try another.
                await server.KillAsync();
            }
        }
    }

    /// <summary>Kills the server as a crash would (SIGKILL); whatever it had not replicated is lost.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _process, null) is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync().WaitAsync(StartPatience);
        process.Dispose();
    }

    /// <summary>Freezes the process (SIGSTOP): connections stay open, nothing is answered, its clock keeps running.</summary>
    public void Freeze()
    {
        Signal(SignalStop);
        _frozen = true;
    }

    /// <summary>Thaws a frozen process (SIGCONT); it then works through whatever its clients sent meanwhile.</summary>
    public void Thaw()
    {
        Signal(SignalContinue);
        _frozen = false;
    }

    /// <summary>Sends one command (arguments as RESP bulk strings) and returns the first line of the reply.</summary>
    public async Task<string> CommandAsync(params string[] arguments)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(5));
        var stream = client.GetStream();
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{arguments.Length}\r\n");
        foreach (var argument in arguments)
        {
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(argument)}\r\n{argument}\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        return line ?? throw new IOException($"redis-server on {Port} closed the connection without answering {arguments[0]}");
    }

    /// <summary>Makes a replica the primary, as Sentinel or an operator does after the primary died.</summary>
    public async Task PromoteAsync()
    {
        var reply = await CommandAsync("REPLICAOF", "NO", "ONE");
        if (!reply.StartsWith("+OK", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"REPLICAOF NO ONE on {Port} answered {reply}");
        }
    }

    /// <summary>Waits until this replica has finished its first sync with its primary.</summary>
    public Task WaitForReplicationLinkAsync() => WaitForReplicationInfoAsync("master_link_status:up");

    /// <summary>Waits until this primary counts <paramref name="count"/> replicas as online (they acknowledge writes).</summary>
    public Task WaitForConnectedReplicasAsync(int count) =>
        WaitForReplicationInfoAsync("connected_slaves:" + count.ToString(CultureInfo.InvariantCulture));

    private async Task WaitForReplicationInfoAsync(string line)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var info = await BulkReplyAsync("INFO", "replication");
            if (info.Contains(line, StringComparison.Ordinal))
            {
                return;
            }

            if (waited.Elapsed > StartPatience)
            {
                throw new TimeoutException($"redis-server on {Port} did not report {line} within {StartPatience}:\n{info}\n{LogText()}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_frozen)
        {
            Thaw();
        }

        await KillAsync();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    private async Task<string> BulkReplyAsync(params string[] arguments)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(5));
        var stream = client.GetStream();
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{arguments.Length}\r\n");
        foreach (var argument in arguments)
        {
            request.Append(CultureInfo.InvariantCulture, $"${argument.Length}\r\n{argument}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var header = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5)) ?? string.Empty;
        if (!header.StartsWith('$'))
        {
            return header;
        }

        var length = int.Parse(header[1..], CultureInfo.InvariantCulture);
        var buffer = new char[length];
        var read = 0;
        while (read < length)
        {
            var n = await reader.ReadAsync(buffer.AsMemory(read, length - read)).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return new string(buffer, 0, read);
    }

    private async Task LaunchAsync(RedisServerProcess? replicaOf)
    {
        var start = new ProcessStartInfo(RedisBinary.Find())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder.FullName,
        };
        var arguments = new List<string>
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", _folder.FullName,
            "--dbfilename", $"dump-{Port}.rdb",
            "--daemonize", "no",
        };
        if (replicaOf is not null)
        {
            // Diskless sync: no temporary RDB files, and the first sync of an empty primary takes milliseconds.
            arguments.AddRange(["--replicaof", "127.0.0.1", replicaOf.Port.ToString(CultureInfo.InvariantCulture), "--repl-diskless-load", "swapdb"]);
        }
        else
        {
            arguments.AddRange(["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var waited = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}:\n{LogText()}");
            }

            if (waited.Elapsed > StartPatience)
            {
                throw new TimeoutException($"redis-server did not answer PING on port {Port} within {StartPatience}:\n{LogText()}");
            }

            await Task.Delay(20);
        }
    }

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            return (await CommandAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private void Signal(int signal)
    {
        var process = _process ?? throw new InvalidOperationException($"redis-server on {Port} is not running");
        if (SendSignal(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
