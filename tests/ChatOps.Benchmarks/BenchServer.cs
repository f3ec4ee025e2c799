using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.Benchmarks;

/// <summary>A real chatops process for a benchmark (the same binary users run), in a temporary data folder.</summary>
public sealed class BenchServer : IAsyncDisposable
{
    public const string ApiKey = "bench-admin-key-0123456789";

    private readonly ChildProcess _process;
    private readonly string _dataDir;

    private BenchServer(ChildProcess process, string dataDir, int port)
    {
        _process = process;
        _dataDir = dataDir;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public HttpClient Http { get; }

    public string Output => _process.Output;

    /// <summary>
    /// CPU time the server process has used so far (user + system). On a shared machine the wall-clock
    /// latencies move with everyone else's load; CPU per request moves far less.
    /// </summary>
    public TimeSpan CpuTime
    {
        get
        {
            using var process = System.Diagnostics.Process.GetProcessById(_process.Id);
            return process.TotalProcessorTime;
        }
    }

    public static async Task<BenchServer> StartAsync(bool localAgent, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("chatops-bench-").FullName;
        var port = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ChatOps__Sqlite__Path"] = Path.Combine(dataDir, "chatops.db"),
            ["ChatOps__Bootstrap__ApiKey"] = ApiKey,
            ["ChatOps__LocalAgent__Enabled"] = localAgent ? "true" : "false",
            ["ChatOps__Chat__RateLimitPerMinute"] = "100000000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) environment[key] = value;
        foreach (var (key, value) in Overrides()) environment[key] = value;
        var process = ChildProcess.StartDotnet(Binary("ChatOps.Server", "chatops.dll"), ["--urls", $"http://127.0.0.1:{port}"], environment, dataDir);
        var server = new BenchServer(process, dataDir, port);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var ready = await server.Http.GetAsync("/readyz");
                if (ready.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // not listening yet (or exited: reported just below with its output)
            }

            if (DateTime.UtcNow > deadline || process.HasExited) throw new InvalidOperationException("chatops did not start:\n" + process.Output);
            await Task.Delay(50);
        }

        return server;
    }

    /// <summary>Time the server's JIT has spent compiling so far (<c>/metrics</c>): the warm-up runs until it stops rising.</summary>
    public async Task<double> JitSecondsAsync()
    {
        const string series = "chatops_process_jit_compilation_seconds_total";
        return (await ScrapeAsync()).Value(series) ?? throw new InvalidOperationException($"the server's /metrics has no {series}");
    }

    // Long enough for the embedded default's backlog after a warm-up (10-21 s); scale mode on the mock cluster never finishes it.
    private static readonly TimeSpan BacklogWait = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Waits until <paramref name="expected"/> commands have ended (<c>chatops_commands_total</c>, every
    /// status): acks run ahead of the router and notifier under load, and the backlog they leave is
    /// work too. Gives up after <see cref="BacklogWait"/>; the result says how far it got.
    /// </summary>
    public async Task<Drain> WaitForCommandsEndedAsync(long expected)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        long ended;
        while (true)
        {
            ended = (long)(await ScrapeAsync()).Sum("chatops_commands_total{");
            if (ended >= expected || System.Diagnostics.Stopwatch.GetElapsedTime(started) >= BacklogWait) break;
            await Task.Delay(50); // polling another process's counter, bounded by BacklogWait
        }

        return new Drain(System.Diagnostics.Stopwatch.GetElapsedTime(started), ended, expected);
    }

    /// <summary>How a wait for the backlog ended.</summary>
    public sealed record Drain(TimeSpan Elapsed, long Ended, long Expected)
    {
        public override string ToString() => Ended >= Expected
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"every command had ended {Elapsed.TotalSeconds:0.0} s after the last ack")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"only {Ended} of {Expected} commands had ended {Elapsed.TotalSeconds:0} s after the last ack (stopped waiting: the figures after this share the machine with the rest)");
    }

    /// <summary>The server's GC totals from its <c>/metrics</c>, so a run's tail can be told apart from GC pauses.</summary>
    public async Task<GcTotals> GcTotalsAsync()
    {
        var scrape = await ScrapeAsync();
        double Read(string series) => scrape.Value(series) ?? 0;
        long Collections(int generation) => (long)Read($"chatops_process_gc_collections_total{{generation=\"{generation}\"}}");
        long Pauses(string le) => (long)Read($"chatops_process_gc_pause_duration_seconds_bucket{{le=\"{le}\"}}");
        var pauses = (long)Read("chatops_process_gc_pause_duration_seconds_count");
        long Writes(string le) => (long)Read($"chatops_store_write_duration_seconds_bucket{{backend=\"sqlite\",le=\"{le}\"}}");
        var writes = (long)Read("chatops_store_write_duration_seconds_count{backend=\"sqlite\"}");
        return new GcTotals(Read("chatops_process_gc_pause_seconds_total"), Collections(0), Collections(1), Collections(2),
            pauses - Pauses("0.01"), pauses - Pauses("0.05"), pauses - Pauses("0.25"),
            writes, writes - Writes("0.01"), writes - Writes("0.05"), writes - Writes("0.25"), (long)Read("chatops_process_gc_heap_bytes"));
    }

    private async Task<Scrape> ScrapeAsync() => new(await Http.GetStringAsync("/metrics"));

    /// <summary>One read of <c>/metrics</c> (Prometheus text: <c>name{labels} value</c> per line), by series.</summary>
    private sealed class Scrape(string text)
    {
        private readonly string[] _lines = text.Split('\n');

        /// <summary>The value of exactly <paramref name="series"/> (name and labels); null when the server has none.</summary>
        public double? Value(string series) => _lines.Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => (double?)Parse(l)).FirstOrDefault();

        /// <summary>The sum over every series starting with <paramref name="prefix"/> (e.g. all label sets of one counter).</summary>
        public double Sum(string prefix) => _lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Sum(Parse);

        private static double Parse(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>GC pauses and, for the embedded store, write transactions (a commit stalled by the disk holds up every write behind it).</summary>
    public sealed record GcTotals(double PauseSeconds, long Generation0, long Generation1, long Generation2, long Over10Ms, long Over50Ms, long Over250Ms,
        long StoreWrites, long StoreWritesOver10Ms, long StoreWritesOver50Ms, long StoreWritesOver250Ms, long HeapBytes)
    {
        public string Since(GcTotals before) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"server GC during the measured runs: {(PauseSeconds - before.PauseSeconds) * 1000:0} ms paused in {Generation0 - before.Generation0} collections ({Generation1 - before.Generation1} of generation 1, {Generation2 - before.Generation2} of generation 2); pauses over 10 / 50 / 250 ms: {Over10Ms - before.Over10Ms} / {Over50Ms - before.Over50Ms} / {Over250Ms - before.Over250Ms}; managed heap {before.HeapBytes / 1048576.0:0} MB before, {HeapBytes / 1048576.0:0} MB after")
            + (StoreWrites == 0 ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"\nserver SQLite write transactions during the measured runs: {StoreWrites - before.StoreWrites}; over 10 / 50 / 250 ms: {StoreWritesOver10Ms - before.StoreWritesOver10Ms} / {StoreWritesOver50Ms - before.StoreWritesOver50Ms} / {StoreWritesOver250Ms - before.StoreWritesOver250Ms}"));
    }

    /// <summary>
    /// <c>CHATOPS_BENCH_SET="ChatOps__Bus=memory;ChatOps__Store=sqlite"</c>: settings applied last, so one
    /// backend of a scale scenario can be swapped out to see its share of the latency.
    /// </summary>
    private static IEnumerable<(string Key, string Value)> Overrides()
    {
        foreach (var pair in (Environment.GetEnvironmentVariable("CHATOPS_BENCH_SET") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new ArgumentException($"CHATOPS_BENCH_SET: `{pair}` is not KEY=VALUE");
            yield return (pair[..equals], pair[(equals + 1)..]);
        }
    }

    public static string Binary(string project, string file)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatOps.sln"))) root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new DirectoryNotFoundException("ChatOps.sln");
        return Path.Combine(root, "src", project, "bin", configuration, "net10.0", file);
    }

    public static string TestSupportBinary(string project, string file) =>
        Binary(project, file).Replace(Path.Combine("src", project), Path.Combine("tests", project), StringComparison.Ordinal);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Http.Dispose();
        try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }
}
