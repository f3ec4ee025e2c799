using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;
using Xunit.Abstractions;

namespace ChatOps.Redis.Tests.Failover;

/// <summary>
/// Reliability test 18: Redis fails over (the primary crashes and the replica is promoted) or is cut off
/// (frozen past the lock TTL, then back) while routers on two nodes hold and contend for command locks.
/// Pass: no two commands ever run at once on one target (agent-side intervals; a dispatch the agent's
/// fencing rule refuses does not run), fencing tokens keep growing across the failover, and every target's
/// lock is granted again within TTL + 5 s.
/// </summary>
public sealed class RedisFailoverUnderLockLoadTests(ITestOutputHelper output)
{
    private const int Targets = 4;
    private const int WorkersPerTarget = 4;
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LivenessBound = Ttl + TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Killing_the_primary_and_promoting_the_replica_under_lock_load_never_runs_two_commands_at_once_and_locks_come_back_within_ttl_plus_5s()
    {
        await using var redis = await ReplicatedRedis.StartAsync();
        var prefix = RedisServerFixture.NewKeyPrefix();
        var nodes = new[] { redis.Connect(prefix), redis.Connect(prefix) };
        foreach (var node in nodes)
        {
            await node.ConnectAsync();
        }

        var load = new LockLoad([.. nodes.Select(n => new RedisCommandLock(n))], Targets, WorkersPerTarget, Ttl);
        var registries = nodes.Select(n => new RedisAgentRegistry(n)).ToList();
        foreach (var agent in load.Agents)
        {
            await registries[0].RegisterAsync(TestData.Agent(agent.Target, "gateway-1", "conn-" + agent.Target), TimeSpan.FromMinutes(5));
        }

        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        await load.WaitForExecutionsAsync(200, Patience);

        await redis.Primary.KillAsync();
        await redis.Replica.PromoteAsync();
        var failedOver = TimeProvider.System.GetTimestamp();

        var recovery = await load.WaitForEveryTargetGrantedAfterAsync(failedOver, Patience);
        await load.WaitForExecutionsAsync(200, Patience);
        await stop.CancelAsync();
        await running.WaitAsync(Patience);

        Report("primary killed, replica promoted", load, recovery);
        AssertSafe(load, failedOver);
        Assert.True(recovery <= LivenessBound, $"the last target's lock came back {recovery.TotalSeconds:0.0} s after the failover, more than TTL + 5 s");
        Assert.All(nodes, node => Assert.True(node.IsConnected, "a node did not reconnect to the promoted replica"));

        // The agent registry came through too: the other node finds every agent on the promoted replica,
        // and the gateway's heartbeat refreshes its entry there.
        foreach (var agent in load.Agents)
        {
            Assert.Equal("gateway-1", (await registries[1].GetAsync(agent.Target))?.NodeId);
            Assert.True(await registries[0].RefreshAsync(agent.Target, "conn-" + agent.Target, TimeSpan.FromMinutes(5)));
        }
    }

    [Fact]
    public async Task Freezing_the_primary_past_the_lock_ttl_under_lock_load_never_runs_two_commands_at_once_and_locks_come_back_within_ttl_plus_5s()
    {
        await using var redis = await ReplicatedRedis.StartAsync();
        var prefix = RedisServerFixture.NewKeyPrefix();
        var nodes = new[] { redis.Connect(prefix), redis.Connect(prefix) };
        foreach (var node in nodes)
        {
            await node.ConnectAsync();
        }

        var load = new LockLoad([.. nodes.Select(n => new RedisCommandLock(n))], Targets, WorkersPerTarget, Ttl);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        await load.WaitForExecutionsAsync(200, Patience);

        // The partition itself: nothing answers for longer than a lease lives. Its length is the fault
        // being injected, not a wait for something to happen.
        redis.Primary.Freeze();
        var unavailableBefore = load.Unavailable;
        await Task.Delay(Ttl + TimeSpan.FromMilliseconds(500));
        var unavailableDuring = load.Unavailable - unavailableBefore;
        redis.Primary.Thaw();
        var healed = TimeProvider.System.GetTimestamp();

        var recovery = await load.WaitForEveryTargetGrantedAfterAsync(healed, Patience);
        await load.WaitForExecutionsAsync(200, Patience);
        await stop.CancelAsync();
        await running.WaitAsync(Patience);

        Report($"primary frozen {(Ttl + TimeSpan.FromMilliseconds(500)).TotalSeconds:0.0} s", load, recovery);
        AssertSafe(load, healed);
        Assert.True(unavailableDuring > 0, "the routers never noticed the frozen primary: the partition did not happen");
        Assert.True(recovery <= LivenessBound, $"the last target's lock came back {recovery.TotalSeconds:0.0} s after the partition healed, more than TTL + 5 s");
    }

    private void Report(string fault, LockLoad load, TimeSpan recovery) => output.WriteLine(
        $"{fault}: {load.Executed} commands ran on {Targets} targets, {load.Agents.Sum(a => a.Refusals.Count)} refused by fencing, "
        + $"{load.Unavailable} 'Redis unavailable' answers, every lock granted again {recovery.TotalMilliseconds:0} ms after the fault ended");

    private static void AssertSafe(LockLoad load, long faultAt)
    {
        Assert.Empty(load.Failures);
        foreach (var agent in load.Agents)
        {
            var overlaps = agent.Overlaps();
            Assert.True(overlaps.Count == 0, $"{agent.Target}: {overlaps.Count} overlapping runs, e.g. {overlaps.FirstOrDefault()}");

            // Fencing never goes backwards across the fault: every token granted after it is above
            // every token granted before it, so the agent never has to refuse a fresh holder.
            var grants = load.Grants.Where(g => g.Target == agent.Target).ToList();
            var before = grants.Where(g => g.At <= faultAt).Select(g => g.Token).DefaultIfEmpty(long.MinValue).Max();
            var after = grants.Where(g => g.At > faultAt).Select(g => g.Token).DefaultIfEmpty(long.MaxValue).Min();
            Assert.True(after > before, $"{agent.Target}: a token granted after the fault ({after}) is not above one granted before it ({before})");
        }
    }
}
