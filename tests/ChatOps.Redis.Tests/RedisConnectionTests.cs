using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests;

public sealed class RedisConnectionTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task With_no_Redis_at_the_address_operations_fail_fast_with_a_reply_fit_for_chat()
    {
        var address = $"127.0.0.1:{UnusedPort()}";
        await using var connection = new RedisStateConnection(new RedisStateOptions
        {
            Configuration = address,
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            OperationTimeout = TimeSpan.FromMilliseconds(500),
        });

        // Starting up is not blocked by a missing Redis: the client keeps trying in the background.
        await connection.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(connection.IsConnected);
        Assert.False(await connection.PingAsync());

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StateUnavailableException>(
            () => new RedisCommandLock(connection).TryAcquireAsync("web-3", "cmd-1", "restart", TimeSpan.FromMinutes(1)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.StartsWith($"the state store (Redis) is unreachable: no connection to {address}", error.Message);
        Assert.DoesNotContain("\n", error.Message);
        Assert.IsType<StackExchange.Redis.RedisConnectionException>(error.InnerException);
    }

    [Fact]
    public async Task The_hosted_service_connects_at_start_and_closes_at_stop()
    {
        var connection = redis.Connect();
        var lifetime = new RedisStateLifetime(connection);

        await lifetime.StartAsync(CancellationToken.None);
        Assert.True(connection.IsConnected);
        Assert.True(await connection.PingAsync());

        await lifetime.StopAsync(CancellationToken.None);

        Assert.False(connection.IsConnected);
        Assert.False(await connection.PingAsync());
        var error = await Assert.ThrowsAsync<StateUnavailableException>(() => new RedisMetricsCache(connection).GetLatestAsync("web-3"));
        Assert.Contains("closed", error.Message);
    }

    [Fact]
    public async Task A_cancelled_caller_stops_waiting_with_a_cancellation()
    {
        var locks = new RedisCommandLock(redis.Connect());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => locks.TryAcquireAsync("web-3", "cmd-1", "restart", TimeSpan.FromMinutes(1), cancelled.Token));
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
