using System.Diagnostics;
using System.Globalization;

namespace ChatOps.Benchmarks.Scale;

/// <summary>
/// The three servers of scale mode, on this machine: librdkafka's mock Kafka cluster (tests/ChatOps.MockKafka),
/// a redis-server and a PostgreSQL cluster (initdb + pg_ctl, as the postgres user when we run as root).
/// Each lives in a temporary folder and is stopped by its own process id (or pg_ctl) on dispose.
/// </summary>
public sealed class ScaleBackends : IAsyncDisposable
{
    private Process? _kafka;
    private Process? _redis;
    private PostgresCluster? _postgres;
    private string? _redisDir;

    public string KafkaBootstrap { get; private set; } = "";
    public string RedisConfiguration { get; private set; } = "";
    public string PostgresConnectionString => _postgres?.ConnectionString ?? "";

    /// <summary>Settings that put a chatops process on these servers (all services in the one process).</summary>
    public Dictionary<string, string> ServerSettings() => new()
    {
        ["ChatOps__Bus"] = "kafka",
        ["ChatOps__Kafka__BootstrapServers"] = KafkaBootstrap,
        // The mock cluster holds an empty fetch for the whole wait and rebalances at session-timeout pace.
        ["ChatOps__Kafka__FetchWaitMax"] = "00:00:00.005",
        ["ChatOps__Kafka__SessionTimeout"] = "00:00:06",
        ["ChatOps__Kafka__HeartbeatInterval"] = "00:00:00.200",
        ["ChatOps__Kafka__ReplicationFactor"] = "3",
        ["ChatOps__State"] = "redis",
        ["ChatOps__Redis__Configuration"] = RedisConfiguration,
        ["ChatOps__Store"] = "postgres",
        ["ChatOps__Postgres__ConnectionString"] = PostgresConnectionString,
    };

    public static async Task<ScaleBackends> StartAsync()
    {
        var backends = new ScaleBackends();
        try
        {
            await backends.StartKafkaAsync();
            backends.StartRedis();
            backends._postgres = await PostgresCluster.StartAsync();
            return backends;
        }
        catch
        {
            await backends.DisposeAsync();
            throw;
        }
    }

    private async Task StartKafkaAsync()
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(BenchServer.TestSupportBinary("ChatOps.MockKafka", "ChatOps.MockKafka.dll"));
        _kafka = Process.Start(info)!;
        _ = _kafka.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await _kafka.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("bootstrap.servers=", StringComparison.Ordinal)) { }
        KafkaBootstrap = line?["bootstrap.servers=".Length..] ?? throw new InvalidOperationException("the mock cluster printed no bootstrap servers");
    }

    private void StartRedis()
    {
        var port = BenchServer.FreePort();
        _redisDir = Directory.CreateTempSubdirectory("chatops-bench-redis-").FullName;
        _redis = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _redisDir },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server)");
        RedisConfiguration = $"127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        if (_redis is not null)
        {
            _redis.Kill();
            await _redis.WaitForExitAsync();
            _redis.Dispose();
        }

        if (_kafka is not null)
        {
            _kafka.StandardInput.Close();
            await _kafka.WaitForExitAsync();
            _kafka.Dispose();
        }

        if (_redisDir is not null) try { Directory.Delete(_redisDir, true); } catch (IOException) { }
    }
}
