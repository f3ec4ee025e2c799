using System.Text.Json;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;

namespace ChatOps.Core.Tests.Routing;

/// <summary>The gateway trusts an agent only for its own server and for commands it dispatched to that connection.</summary>
public sealed class AgentGatewayTrustTests : IAsyncLifetime
{
    private RouterHarness _h = null!;

    public async Task InitializeAsync() => _h = await RouterHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task An_agent_claiming_another_server_is_refused_and_audited()
    {
        var session = new FakeAgentSession("web-1");

        var accepted = await _h.Gateway.OnHelloAsync(session, new HelloFrame("db-1", AgentProtocol.Version, "test", "host", []), CancellationToken.None);

        Assert.False(accepted);
        Assert.NotNull(session.ClosedBecause);
        Assert.Contains("bound to server 'web-1'", (await session.NextAsync<ErrorFrame>()).Message);
        Assert.Null(await _h.Registry.GetAsync("db-1"));
        Assert.Null(await _h.Registry.GetAsync("web-1"));
        var audit = await _h.Audit.QueryAsync(new AuditQuery(Action: "agent.impersonation"));
        Assert.Single(audit);
    }

    [Fact]
    public async Task An_older_protocol_version_is_refused()
    {
        var session = new FakeAgentSession("web-1");

        var accepted = await _h.Gateway.OnHelloAsync(session, new HelloFrame("web-1", AgentProtocol.Version - 1, "old", "host", []), CancellationToken.None);

        Assert.False(accepted);
        Assert.Contains("not supported", (await session.NextAsync<ErrorFrame>()).Message);
    }

    [Fact]
    public async Task Results_for_commands_not_dispatched_to_the_connection_are_ignored_and_audited()
    {
        var web1 = await _h.ConnectAgentAsync("web-1");
        var web2 = await _h.ConnectAgentAsync("web-2", "conn-2");
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await web1.NextAsync<DispatchFrame>();
        await _h.Gateway.OnFrameAsync(web1, new AcceptedFrame(id), CancellationToken.None);
        await _h.WaitForStoredStateAsync(id, CommandState.Running);

        // web-2 reports a result for web-1's command.
        await _h.Gateway.OnFrameAsync(web2, new ResultFrame(id, ResultStatuses.Succeeded, 0, 1, false, 0), CancellationToken.None);
        await _h.Gateway.OnFrameAsync(web2, new OutputFrame(id, 1, "stdout", "<script>alert(1)</script>"), CancellationToken.None);

        var audit = await _h.Audit.QueryAsync(new AuditQuery(Action: "agent.unassigned_result"));
        Assert.Equal(2, audit.Count);
        Assert.Equal(CommandState.Running, (await _h.Commands.GetAsync(id))!.State);
        Assert.Empty(await _h.Commands.GetOutputAsync(id));
    }

    [Fact]
    public async Task A_dispatch_with_a_stale_fencing_token_is_refused_by_the_gateway()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync("run web-1 uptime");
        var fresh = await agent.NextAsync<DispatchFrame>();
        await _h.FinishAsync(agent, id);
        await _h.Chat.WaitForStateAsync(id, CommandState.Succeeded);

        // A router that paused past its lease sends an old token for another command.
        var stale = new GatewayDispatch("stale-1", "web-1", agent.ConnectionId, "uptime", new Dictionary<string, string>(), [],
            fresh.FencingToken - 1, 1000, _h.Time.GetUtcNow(), _h.Time.GetUtcNow().AddSeconds(30), new ChatRef("test", "c1", "t-stale"));
        await _h.PubSub.PublishAsync(GatewayChannels.ForNode(_h.Gateway.NodeId), JsonSerializer.Serialize<GatewayMessage>(stale, ChatOpsJson.Options));

        var replies = await _h.Chat.WaitForReplyAsync("stale-1", "stale fencing token");
        Assert.Contains("refused", replies);
        Assert.False(agent.TryTakeDispatch(out var sent), $"the stale dispatch reached the agent: {sent}");
    }

    [Fact]
    public async Task A_new_connection_replaces_the_old_one_whose_commands_fail_as_disconnected()
    {
        var first = await _h.ConnectAgentAsync("web-1", "conn-a");
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await first.NextAsync<DispatchFrame>();

        var second = await _h.ConnectAgentAsync("web-1", "conn-b");

        await _h.Chat.WaitForReplyAsync(id, "disconnected");
        Assert.Equal("conn-b", (await _h.Registry.GetAsync("web-1"))!.ConnectionId);
        Assert.NotNull(first.ClosedBecause);
        // The replaced connection can no longer report anything.
        await _h.WaitForStoredStateAsync(id, CommandState.Failed);
        await _h.Gateway.OnFrameAsync(first, new ResultFrame(id, ResultStatuses.Succeeded, 0, 1, false, 0), CancellationToken.None);
        Assert.Equal(CommandState.Failed, (await _h.Commands.GetAsync(id))!.State);
        Assert.Null(second.ClosedBecause);
    }
}
