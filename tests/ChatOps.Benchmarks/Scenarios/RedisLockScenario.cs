using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChatOps.Redis;
using StackExchange.Redis;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Issue 6's figure: <c>lock:command:{server}</c> acquire+release through <see cref="RedisCommandLock"/>
/// (two Lua scripts with fencing) next to a raw Redis script round trip (EVAL returning 1, twice, the same
/// number of round trips) on the same redis-server in the same run.
/// </summary>
public static class RedisLockScenario
{
    public static async Task RunAsync(BenchArgs args)
    {
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("chatops-bench-redis-").FullName;
        using var redis = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server)");
        try
        {
            await using var connection = new RedisStateConnection(new RedisStateOptions { Configuration = $"127.0.0.1:{port}" });
            await WaitForRedisAsync(connection);
            var locks = new RedisCommandLock(connection);
            using var raw = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
            var db = raw.GetDatabase();
            var operations = Math.Max(args.Requests, 20_000);

            async Task Raw(int i)
            {
                await db.ScriptEvaluateAsync("return 1", [(RedisKey)$"raw:{i % args.Servers}"]);
                await db.ScriptEvaluateAsync("return 1", [(RedisKey)$"raw:{i % args.Servers}"]);
            }

            async Task Lock(int i)
            {
                var lease = await locks.TryAcquireAsync($"s-{i % args.Servers}-{i}", $"o{i}", "bench", TimeSpan.FromSeconds(30));
                if (lease is not null) await locks.ReleaseAsync(lease);
            }

            await new Latencies("warm-up").RunAsync(2000, args.Concurrency, Raw);
            await new Latencies("warm-up").RunAsync(2000, args.Concurrency, Lock);
            var baseline = new Latencies($"raw Redis: 2 x EVAL round trip (c={args.Concurrency})");
            await baseline.RunAsync(operations, args.Concurrency, Raw);
            var measured = new Latencies($"RedisCommandLock acquire+release (c={args.Concurrency})");
            await measured.RunAsync(operations, args.Concurrency, Lock);

            Console.WriteLine(baseline.Line());
            Console.WriteLine(measured.Line());
            Report.Ratio("lock ops/s", measured.PerSecond, baseline.PerSecond);
            Report.Ratio("lock p99", measured.Percentile(99), baseline.Percentile(99));
        }
        finally
        {
            redis.Kill();
            await redis.WaitForExitAsync();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static async Task WaitForRedisAsync(RedisStateConnection connection)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await connection.PingAsync())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("redis-server did not answer PING");
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
