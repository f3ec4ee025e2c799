using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests.Failover;

/// <summary>
/// Redis replicates asynchronously: a lock granted by the primary a moment before it dies may never reach
/// the replica that is promoted, and then a second router gets the same target's lock while the first
/// holder's command is still running (its token is lower, but the agent already admitted it, so fencing
/// cannot help). So a lock is granted only once a replica acknowledged it (<c>WAIT</c>): by default while
/// the primary has a replica connected, always with <c>LockReplicaAcks</c> set.
/// </summary>
public sealed class LockGrantSurvivesFailoverTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_lock_no_replica_acknowledged_is_not_granted_so_after_promotion_no_second_holder_runs_beside_the_first()
    {
        await using var redis = await ReplicatedRedis.StartAsync();
        var prefix = RedisServerFixture.NewKeyPrefix();
        var routerA = new RedisCommandLock(await ConnectAsync(redis, prefix));
        var routerB = new RedisCommandLock(await ConnectAsync(redis, prefix));
        var agent = new AgentFence("web-1");

        // The replica is cut off from the primary (its link dropped, the replica stalled so it cannot come
        // back yet): from here on the primary's writes reach no replica. Router A asks for the lock meanwhile.
        redis.Replica.Freeze();
        Assert.StartsWith(":1", await redis.Primary.CommandAsync("CLIENT", "KILL", "TYPE", "replica"), StringComparison.Ordinal);
        var (leaseA, refusedA) = await TryAcquireAsync(routerA, agent.Target, "cmd-A");
        using var finishA = new CancellationTokenSource();
        var runA = leaseA is null ? Task.CompletedTask : agent.RunAsync("cmd-A", leaseA.FencingToken, Timeout.InfiniteTimeSpan, finishA.Token);

        // The primary dies before the replica caught up; the replica is promoted, and a new replica joins
        // it (what Sentinel does with the old primary once it is back).
        await redis.Primary.KillAsync();
        redis.Replica.Thaw();
        await redis.Replica.PromoteAsync();
        await using var newReplica = await RedisServerProcess.StartAsync(replicaOf: redis.Replica);
        await newReplica.WaitForReplicationLinkAsync();

        LockLease? leaseB = null;
        await Eventually.WaitUntilAsync(async () => (leaseB = (await TryAcquireAsync(routerB, agent.Target, "cmd-B")).Lease) is not null,
            Patience, "router B to get the lock on the promoted replica");
        await agent.RunAsync("cmd-B", leaseB!.FencingToken, TimeSpan.FromMilliseconds(1), CancellationToken.None);
        await finishA.CancelAsync();
        await runA;

        var overlaps = agent.Overlaps();
        Assert.True(overlaps.Count == 0,
            $"A held the lock with token {leaseA?.FencingToken} (never replicated) and B got it too with token {leaseB.FencingToken} after the failover: both ran at once");

        // What router A was told instead: a readable "try again".
        Assert.NotNull(refusedA);
        Assert.Contains("reached 0 of the 1 replica(s) it needs", refusedA.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_default_a_grant_waits_for_the_connected_replica_and_is_refused_while_it_does_not_answer()
    {
        await using var redis = await ReplicatedRedis.StartAsync();
        var locks = new RedisCommandLock(await ConnectAsync(redis, RedisServerFixture.NewKeyPrefix(), configure: false));

        // A replica that is connected but does not acknowledge (stalled): the grant cannot be confirmed.
        redis.Replica.Freeze();
        var (refusedLease, refused) = await TryAcquireAsync(locks, "web-1", "cmd-1");
        redis.Replica.Thaw();

        Assert.Null(refusedLease);
        Assert.NotNull(refused);
        Assert.StartsWith("the state store (Redis) is unreachable: the lock on web-1 reached 0 of the 1 replica(s)", refused.Message, StringComparison.Ordinal);

        // The refused grant was withdrawn, so the lock is free as soon as the replica answers again.
        LockLease? lease = null;
        await Eventually.WaitUntilAsync(async () => (lease = (await TryAcquireAsync(locks, "web-1", "cmd-2")).Lease) is not null,
            Patience, "the lock to be granted once the replica answers");
        Assert.Equal("cmd-2", (await locks.GetHolderAsync("web-1"))?.OwnerId);
        Assert.True(await locks.RenewAsync(lease!, Ttl));
    }

    private static async Task<RedisStateConnection> ConnectAsync(ReplicatedRedis redis, string prefix, bool configure = true)
    {
        // A generous operation timeout, so a slow moment on a busy machine is not mistaken for the refusal
        // these tests expect (WAIT itself is bounded at 250 ms).
        var connection = redis.Connect(prefix, options =>
        {
            options.OperationTimeout = TimeSpan.FromSeconds(2);
            if (configure)
            {
                options.LockReplicaAcks = 1;
            }
        });
        await connection.ConnectAsync();
        return connection;
    }

    private static async Task<(LockLease? Lease, StateUnavailableException? Refused)> TryAcquireAsync(ICommandLock locks, string target, string owner)
    {
        try
        {
            return (await locks.TryAcquireAsync(target, owner, "restart", Ttl), null);
        }
        catch (StateUnavailableException ex)
        {
            return (null, ex);
        }
    }
}
