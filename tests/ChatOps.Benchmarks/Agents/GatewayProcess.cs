using System.Net.Http.Headers;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.Benchmarks.Agents;

/// <summary>The real chatops process as the agents' gateway, restartable on the same port and data (its agent tokens survive).</summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("chatops-bench-agents-").FullName;
    private readonly Dictionary<string, string> _environment;
    private ChildProcess? _process;

    public GatewayProcess(IReadOnlyDictionary<string, string>? settings = null)
    {
        Port = BenchServer.FreePort();
        _environment = new Dictionary<string, string>
        {
            ["ChatOps__Sqlite__Path"] = Path.Combine(_dataDir, "chatops.db"),
            ["ChatOps__Bootstrap__ApiKey"] = BenchServer.ApiKey,
            ["ChatOps__LocalAgent__Enabled"] = "false",
            ["ChatOps__RateLimits__ApiPerMinute"] = "1000000000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) _environment[key] = value;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BenchServer.ApiKey);
    }

    public int Port { get; }

    /// <summary>The process's working folder (its SQLite database lives there); removed on dispose.</summary>
    public string DataDir => _dataDir;

    public HttpClient Http { get; }

    public Uri AgentUrl => new($"ws://127.0.0.1:{Port}/agents/connect");

    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("not started");

    public string Output => _process?.Output ?? "";

    /// <summary>Starts the process and returns once /readyz answers.</summary>
    public async Task StartAsync()
    {
        _process = ChildProcess.StartDotnet(BenchServer.Binary("ChatOps.Server", "chatops.dll"), ["--urls", $"http://127.0.0.1:{Port}"], _environment, _dataDir);
        await WaitReadyAsync(Http, "/readyz", _process);
    }

    /// <summary>SIGKILL, like a crashed or evicted pod; the agents' sockets break at once.</summary>
    public async Task KillAsync()
    {
        if (_process is not null) await _process.KillAsync();
    }

    public static async Task WaitReadyAsync(HttpClient http, string path, ChildProcess process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var ready = await http.GetAsync(path);
                if (ready.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline || process.HasExited) throw new InvalidOperationException("process did not start:\n" + process.Output);
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        Http.Dispose();
        try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }
}
