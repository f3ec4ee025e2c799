using ChatOps.Conformance.State;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests;

/// <summary>
/// Two ChatOps processes (gateway or router nodes) sharing one Redis, each with its own connection,
/// as in scale mode: what one writes or publishes, the other sees.
/// </summary>
public sealed class TwoGatewayNodesTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly string _prefix = RedisServerFixture.NewKeyPrefix();

    [Fact]
    public async Task A_command_routed_on_one_node_reaches_the_agent_connected_to_the_other()
    {
        var gatewayConnection = redis.Connect(_prefix);
        var routerConnection = redis.Connect(_prefix);
        var gatewayRegistry = new RedisAgentRegistry(gatewayConnection);
        var gatewayPubSub = new RedisPubSub(gatewayConnection);
        var routerRegistry = new RedisAgentRegistry(routerConnection);
        var routerPubSub = new RedisPubSub(routerConnection);
        var server = TestData.NewId("web");

        // The agent of `server` is connected to gateway-1, which listens for dispatches addressed to it.
        var dispatches = new MessageCollector();
        await using var listening = await gatewayPubSub.SubscribeAsync("agent:dispatch:gateway-1", dispatches.Handle);
        await gatewayRegistry.RegisterAsync(TestData.Agent(server, "gateway-1", "conn-7"), Ttl);

        // The router, on the other node, finds where the agent is and sends the dispatch there.
        var agent = await routerRegistry.GetAsync(server);
        Assert.NotNull(agent);
        var reached = await routerPubSub.PublishAsync("agent:dispatch:" + agent.NodeId, $"dispatch cmd-42 to {server}");

        Assert.Equal(1, reached);
        Assert.Equal([$"dispatch cmd-42 to {server}"], await dispatches.WaitForAsync(1, Patience));
    }

    [Fact]
    public async Task A_registry_entry_written_by_one_node_is_seen_refreshed_and_removed_by_the_other()
    {
        var node1 = new RedisAgentRegistry(redis.Connect(_prefix));
        var node2 = new RedisAgentRegistry(redis.Connect(_prefix));
        var server = TestData.NewId("web");
        var connection = TestData.Agent(server, "gateway-1", "conn-1");

        await node1.RegisterAsync(connection, Ttl);

        var seen = await node2.GetAsync(server);
        Assert.Equal(connection with { Capabilities = seen!.Capabilities }, seen);
        Assert.Equal(connection.Capabilities, seen.Capabilities);
        Assert.Contains(await node2.ListAsync(), c => c.ServerId == server && c.NodeId == "gateway-1");

        // The agent moved to node 2 meanwhile; node 1's late cleanup of its old connection changes nothing.
        await node2.RegisterAsync(TestData.Agent(server, "gateway-2", "conn-2"), Ttl);
        Assert.False(await node1.RefreshAsync(server, "conn-1", Ttl));
        Assert.False(await node1.RemoveAsync(server, "conn-1"));
        Assert.Equal("gateway-2", (await node1.GetAsync(server))?.NodeId);

        Assert.True(await node2.RemoveAsync(server, "conn-2"));
        Assert.Null(await node1.GetAsync(server));
        Assert.DoesNotContain(await node1.ListAsync(), c => c.ServerId == server);
    }

    [Fact]
    public async Task Of_routers_on_two_nodes_racing_for_one_lock_exactly_one_wins()
    {
        var node1 = new RedisCommandLock(redis.Connect(_prefix));
        var node2 = new RedisCommandLock(redis.Connect(_prefix));
        var server = TestData.NewId("web");

        var leases = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => (i % 2 == 0 ? node1 : node2).TryAcquireAsync(server, $"cmd-{i}", "race", Ttl))));

        var winner = Assert.Single(leases, l => l is not null);
        Assert.Equal(winner!.OwnerId, (await node2.GetHolderAsync(server))?.OwnerId);
        Assert.Equal(winner.OwnerId, (await node1.GetHolderAsync(server))?.OwnerId);

        // The next grant, on the other node, continues the same token sequence.
        var winnerOnNode1 = int.Parse(winner.OwnerId["cmd-".Length..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0;
        Assert.True(await (winnerOnNode1 ? node1 : node2).ReleaseAsync(winner));
        var next = await (winnerOnNode1 ? node2 : node1).TryAcquireAsync(server, "cmd-next", "after", Ttl);
        Assert.True(next!.FencingToken > winner.FencingToken);
    }
}
