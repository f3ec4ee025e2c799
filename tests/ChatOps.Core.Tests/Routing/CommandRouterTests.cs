using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;

namespace ChatOps.Core.Tests.Routing;

public sealed class CommandRouterTests : IAsyncLifetime
{
    private RouterHarness _h = null!;

    public async Task InitializeAsync() => _h = await RouterHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_request_is_dispatched_with_a_fencing_token_and_its_result_finishes_it()
    {
        var agent = await _h.ConnectAgentAsync("web-1");

        var id = await _h.RequestAsync("run web-1 uptime");
        var dispatch = await agent.NextAsync<DispatchFrame>();
        await _h.FinishAsync(agent, id, " 12:00 up 3 days\n");

        await _h.Chat.WaitForStateAsync(id, CommandState.Succeeded);
        Assert.Equal(id, dispatch.CommandId);
        Assert.Equal("uptime", dispatch.Action);
        Assert.True(dispatch.FencingToken > 0);
        var replies = await _h.Chat.WaitForReplyAsync(id, "exit code 0");
        Assert.Contains("up 3 days", replies);
        await _h.WaitForStoredStateAsync(id, CommandState.Succeeded);
        await _h.WaitForLockFreeAsync("web-1");
        var stored = await _h.Commands.GetAsync(id);
        Assert.Equal(CommandState.Succeeded, stored!.State);
        Assert.Equal(0, stored.ExitCode);
        Assert.Contains(await _h.Commands.GetOutputAsync(id), c => c.Text.Contains("up 3 days", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redelivered_request_never_runs_twice()
    {
        var agent = await _h.ConnectAgentAsync("web-1");

        var id = await _h.RequestAsync("run web-1 uptime", requestId: "same-request");
        var again = await _h.RequestAsync("run web-1 uptime", requestId: "same-request");
        await agent.NextAsync<DispatchFrame>();
        await _h.FinishAsync(agent, id);
        await _h.Chat.WaitForStateAsync(id, CommandState.Succeeded);

        Assert.Equal(id, again);
        Assert.False(agent.TryTakeDispatch(out var second), $"a second dispatch was sent: {second}");
        Assert.Single(await _h.Commands.ListByRequestAsync("same-request"));
    }

    [Fact]
    public async Task A_second_command_waits_for_the_lock_and_runs_after_the_first_with_a_larger_token()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var first = await _h.RequestAsync("run web-1 sleep 5");
        var firstDispatch = await agent.NextAsync<DispatchFrame>();

        var second = await _h.RequestAsync("run web-1 uptime");
        var waiting = await _h.Chat.WaitForReplyAsync(second, "is waiting");
        Assert.Contains($"#{first}", waiting);
        Assert.Contains("alice", waiting);

        await _h.FinishAsync(agent, first);
        var secondDispatch = await agent.NextAsync<DispatchFrame>();
        Assert.Equal(second, secondDispatch.CommandId);
        Assert.True(secondDispatch.FencingToken > firstDispatch.FencingToken);
    }

    [Fact]
    public async Task A_command_gives_up_after_the_lock_wait_and_says_who_holds_the_server()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var first = await _h.RequestAsync("run web-1 sleep 100");
        await agent.NextAsync<DispatchFrame>();
        await _h.Gateway.OnFrameAsync(agent, new AcceptedFrame(first), CancellationToken.None);
        var second = await _h.RequestAsync("run web-1 uptime");
        await _h.Chat.WaitForReplyAsync(second, "is waiting");
        await _h.WaitForStoredStateAsync(first, CommandState.Running);

        _h.Time.Advance(TimeSpan.FromSeconds(61));
        await _h.HeartbeatAsync(agent);
        await _h.Sweeper.SweepOnceAsync(CancellationToken.None);

        var replies = await _h.Chat.WaitForReplyAsync(second, "Gave up");
        Assert.Contains($"#{first}", replies);
        await _h.WaitForStoredStateAsync(second, CommandState.Failed);
        Assert.Equal(CommandState.Running, (await _h.Commands.GetAsync(first))!.State);
    }

    [Fact]
    public async Task An_agent_that_disconnects_mid_command_fails_it_and_frees_the_server()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await agent.NextAsync<DispatchFrame>();
        await _h.Gateway.OnFrameAsync(agent, new AcceptedFrame(id), CancellationToken.None);

        await _h.Gateway.OnDisconnectedAsync(agent, "connection lost", CancellationToken.None);

        var replies = await _h.Chat.WaitForReplyAsync(id, "disconnected");
        Assert.Contains("outcome is unknown", replies);
        await _h.WaitForStoredStateAsync(id, CommandState.Failed);
        await _h.WaitForLockFreeAsync("web-1");
        Assert.Null(await _h.Registry.GetAsync("web-1"));
    }

    [Fact]
    public async Task A_command_for_an_offline_agent_fails_at_once()
    {
        var id = await _h.RequestAsync("run db-1 uptime");

        var replies = await _h.Chat.WaitForReplyAsync(id, "offline");
        Assert.Contains("was not run", replies);
        await _h.WaitForLockFreeAsync("db-1");
    }

    [Fact]
    public async Task An_unknown_server_is_rejected_with_a_did_you_mean()
    {
        var id = await _h.RequestAsync("run web-3 uptime");

        var replies = await _h.Chat.WaitForReplyAsync(id, "Unknown server");
        Assert.Contains("Did you mean `web-1`", replies);
        await _h.Chat.WaitForStateAsync(id, CommandState.Rejected);
    }

    [Fact]
    public async Task The_router_re_checks_roles_even_for_a_request_published_directly()
    {
        await _h.ConnectAgentAsync("web-1");
        var forged = new CommandRequested("forged-1", "run web-1 uptime", "run", "web-1", new Dictionary<string, string> { ["target"] = "web-1", ["action"] = "uptime" },
            [], new Dictionary<string, string>(), RouterHarness.Viewer, new ChatRef("test", "c1", "t1"), _h.Time.GetUtcNow());

        await _h.Bus.PublishAsync(Topics.Commands, Envelope.Create(EventTypes.CommandRequested, "web-1", forged, _h.Time.GetUtcNow()));

        var replies = await _h.Chat.WaitForReplyAsync("forged-1", "not allowed");
        Assert.Contains("operator", replies);
        await _h.WaitForStoredStateAsync("forged-1", CommandState.Rejected);
    }

    [Fact]
    public async Task A_glob_fans_out_to_every_matching_server()
    {
        var web1 = await _h.ConnectAgentAsync("web-1");
        var web2 = await _h.ConnectAgentAsync("web-2");

        var id = await _h.RequestAsync("run role:web uptime");

        var d1 = await web1.NextAsync<DispatchFrame>();
        var d2 = await web2.NextAsync<DispatchFrame>();
        Assert.Equal($"{id}-web-1", d1.CommandId);
        Assert.Equal($"{id}-web-2", d2.CommandId);
        Assert.Equal(2, (await _h.Commands.ListByRequestAsync(id)).Count);
    }

    [Fact]
    public async Task A_command_without_a_result_times_out_and_the_agent_is_told_to_cancel()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync("run web-1 sleep 100");
        await agent.NextAsync<DispatchFrame>();
        await _h.Gateway.OnFrameAsync(agent, new AcceptedFrame(id), CancellationToken.None);
        await _h.WaitForStoredStateAsync(id, CommandState.Running);

        _h.Time.Advance(TimeSpan.FromSeconds(60 + 16));
        await _h.HeartbeatAsync(agent);
        await _h.Sweeper.SweepOnceAsync(CancellationToken.None);

        var cancel = await agent.NextAsync<CancelFrame>();
        Assert.Equal(id, cancel.CommandId);
        await _h.Chat.WaitForReplyAsync(id, "timed out");
        await _h.WaitForStoredStateAsync(id, CommandState.TimedOut);
    }

    [Fact]
    public async Task Cancelling_a_queued_command_means_it_never_runs()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var first = await _h.RequestAsync("run web-1 sleep 100");
        await agent.NextAsync<DispatchFrame>();
        var second = await _h.RequestAsync("run web-1 uptime");
        await _h.Chat.WaitForReplyAsync(second, "is waiting");

        await _h.RequestCancelAsync(second);
        await _h.Chat.WaitForReplyAsync(second, "cancelled");
        await _h.WaitForStoredStateAsync(second, CommandState.Cancelled);
        await _h.FinishAsync(agent, first);
        await _h.WaitForStoredStateAsync(first, CommandState.Succeeded);
        await _h.WaitForLockFreeAsync("web-1");

        Assert.False(agent.TryTakeDispatch(out var dispatch), $"the cancelled command was dispatched: {dispatch}");
    }
}
