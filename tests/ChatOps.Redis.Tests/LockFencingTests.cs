using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests;

/// <summary>
/// A router that pauses (GC, a stopped VM) past its lease must never get its command run: the next
/// owner gets a greater fencing token, and the gateway and agent refuse a token older than one they saw.
/// </summary>
public sealed class LockFencingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan ShortTtl = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan LongTtl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_holder_paused_past_its_lease_loses_the_lock_and_its_dispatch_is_refused_by_token()
    {
        // Router A and router B are separate processes: separate connections.
        var prefix = RedisServerFixture.NewKeyPrefix();
        var routerA = new RedisCommandLock(redis.Connect(prefix));
        var connectionB = redis.Connect(prefix);
        var routerB = new RedisCommandLock(connectionB);
        var server = TestData.NewId("web");

        var leaseA = (await routerA.TryAcquireAsync(server, "cmd-1", "alice: restart nginx", ShortTtl))!;
        Assert.Null(await routerB.TryAcquireAsync(server, "cmd-2", "bob: deploy", LongTtl));

        // A is paused; its lease runs out on the Redis clock while it sleeps, and B takes the lock.
        await RedisExpiry.AdvancePastAsync(connectionB, ShortTtl);
        var leaseB = await routerB.TryAcquireAsync(server, "cmd-2", "bob: deploy", LongTtl);

        Assert.NotNull(leaseB);
        Assert.True(leaseB.FencingToken > leaseA.FencingToken, $"B's token {leaseB.FencingToken}, A's {leaseA.FencingToken}");

        // A wakes up and carries on as if it still held the lock: it can neither extend nor free B's lease.
        Assert.False(await routerA.RenewAsync(leaseA, LongTtl));
        Assert.False(await routerA.ReleaseAsync(leaseA));
        var holder = await routerA.GetHolderAsync(server);
        Assert.Equal("cmd-2", holder?.OwnerId);
        Assert.Equal(leaseB.FencingToken, holder?.FencingToken);

        // A's dispatch reaches the gateway after B's: the rule the gateway and the agent apply
        // (refuse a token below the highest seen for the server) refuses A and keeps B.
        var gateway = new HighestTokenSeen();
        Assert.True(gateway.Accepts(server, leaseB.FencingToken));
        Assert.False(gateway.Accepts(server, leaseA.FencingToken));
        Assert.True(await routerB.ReleaseAsync(leaseB));
    }

    [Fact]
    public async Task Tokens_keep_growing_across_expiry_and_release_on_each_server()
    {
        var connection = redis.Connect();
        var locks = new RedisCommandLock(connection);
        var server = TestData.NewId("web");
        var other = TestData.NewId("web");

        var first = (await locks.TryAcquireAsync(server, "cmd-1", "restart", ShortTtl))!;
        await RedisExpiry.AdvancePastAsync(connection, ShortTtl);
        var second = (await locks.TryAcquireAsync(server, "cmd-2", "restart", LongTtl))!;
        Assert.True(await locks.ReleaseAsync(second));
        var third = (await locks.TryAcquireAsync(server, "cmd-3", "restart", LongTtl))!;
        var elsewhere = await locks.TryAcquireAsync(other, "cmd-4", "restart", LongTtl);

        Assert.True(first.FencingToken < second.FencingToken && second.FencingToken < third.FencingToken);
        Assert.NotNull(elsewhere);
    }

    /// <summary>The fencing rule of <c>AgentGateway</c> and the agent's <c>DispatchGuard</c>, in miniature.</summary>
    private sealed class HighestTokenSeen
    {
        private readonly Dictionary<string, long> _highest = new(StringComparer.Ordinal);

        public bool Accepts(string serverId, long token)
        {
            var highest = Math.Max(_highest.GetValueOrDefault(serverId, long.MinValue), token);
            _highest[serverId] = highest;
            return token >= highest;
        }
    }
}
