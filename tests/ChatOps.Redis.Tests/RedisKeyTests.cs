using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;
using StackExchange.Redis;

namespace ChatOps.Redis.Tests;

/// <summary>The keys in Redis are the product's names (what an operator types in redis-cli), and prefixes isolate.</summary>
public sealed class RedisKeyTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Without_a_prefix_the_keys_are_exactly_the_product_names()
    {
        var connection = redis.Connect(keyPrefix: string.Empty);
        var server = TestData.NewId("web");
        var user = TestData.NewId("alice");

        await new RedisCommandLock(connection).TryAcquireAsync(server, "cmd-1", "restart", Ttl);
        await new RedisAgentRegistry(connection).RegisterAsync(TestData.Agent(server, "gateway-1", "conn-1"), Ttl);
        await new RedisMetricsCache(connection).SetLatestAsync(TestData.Snapshot(server, 12.5));
        await new RedisRateLimiter(connection).TryAcquireAsync(user, "commands", new RateLimitPolicy(5, TimeSpan.FromMinutes(1)));

        var db = connection.Multiplexer!.GetDatabase();
        var lockTtl = await db.KeyTimeToLiveAsync("lock:command:" + server);
        Assert.InRange(lockTtl ?? TimeSpan.Zero, Ttl - TimeSpan.FromSeconds(30), Ttl);
        Assert.StartsWith("{", (string?)await db.StringGetAsync("lock:command:" + server));
        Assert.Null(await db.KeyTimeToLiveAsync("lock:fence:" + server));
        Assert.Equal("conn-1", (string?)await db.HashGetAsync("agent:connections:" + server, "connectionId"));
        Assert.NotNull(await db.SortedSetScoreAsync("agent:connections", server));
        var metricsTtl = await db.KeyTimeToLiveAsync("metrics:latest:" + server);
        Assert.InRange(metricsTtl ?? TimeSpan.Zero, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.Equal(1, await db.SortedSetLengthAsync($"ratelimit:{user}:commands"));

        await db.KeyDeleteAsync(["lock:command:" + server, "lock:fence:" + server, "agent:connections:" + server, "metrics:latest:" + server, $"ratelimit:{user}:commands"]);
        await db.SortedSetRemoveAsync("agent:connections", server);
    }

    [Fact]
    public async Task Rate_limit_keys_escape_colons_so_that_user_and_endpoint_cannot_run_together()
    {
        var connection = redis.Connect();
        var limiter = new RedisRateLimiter(connection);
        var once = new RateLimitPolicy(1, TimeSpan.FromMinutes(1));

        // Unescaped, both would be ratelimit:a:b:c and share one budget.
        Assert.True((await limiter.TryAcquireAsync("a:b", "c", once)).Allowed);
        Assert.True((await limiter.TryAcquireAsync("a", "b:c", once)).Allowed);
        Assert.False((await limiter.TryAcquireAsync("a:b", "c", once)).Allowed);
        Assert.True((await limiter.TryAcquireAsync("slack:T1/U2", "commands", once)).Allowed);

        var db = connection.Multiplexer!.GetDatabase();
        Assert.True(await db.KeyExistsAsync(connection.Key("ratelimit:a%3Ab:c")));
        Assert.True(await db.KeyExistsAsync(connection.Key("ratelimit:a:b%3Ac")));
        Assert.True(await db.KeyExistsAsync(connection.Key("ratelimit:slack%3AT1/U2:commands")));
        Assert.False(await db.KeyExistsAsync(connection.Key("ratelimit:a:b:c")));
    }

    [Fact]
    public async Task Installations_with_different_prefixes_do_not_see_each_other()
    {
        var staging = redis.Connect("staging:");
        var production = redis.Connect("production:");
        var server = TestData.NewId("web");
        var stagingLock = new RedisCommandLock(staging);
        var productionLock = new RedisCommandLock(production);

        var held = await stagingLock.TryAcquireAsync(server, "cmd-1", "restart", Ttl);
        var other = await productionLock.TryAcquireAsync(server, "cmd-2", "restart", Ttl);
        await new RedisAgentRegistry(staging).RegisterAsync(TestData.Agent(server, "gateway-1", "conn-1"), Ttl);

        Assert.NotNull(held);
        Assert.NotNull(other);
        Assert.Null(await new RedisAgentRegistry(production).GetAsync(server));
        Assert.DoesNotContain(await new RedisAgentRegistry(production).ListAsync(), c => c.ServerId == server);
        Assert.True(await staging.Multiplexer!.GetDatabase().KeyExistsAsync(new RedisKey("staging:lock:command:" + server)));
    }
}
