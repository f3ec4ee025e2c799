using ChatOps.Core.Domain;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Conformance.Store;

public abstract class CommandStoreConformanceTests : StoreConformanceTests
{
    [Fact]
    public async Task A_command_with_every_field_set_round_trips_exactly()
    {
        var command = FullCommand("cmd-full");

        Assert.True(await Stores.Commands.TryCreateAsync(command));

        AssertSameCommand(command, await Stores.Commands.GetAsync("cmd-full"));
    }

    [Fact]
    public async Task A_command_with_only_required_fields_round_trips_with_its_nulls()
    {
        var command = Command("cmd-min");

        Assert.True(await Stores.Commands.TryCreateAsync(command));

        var stored = await Stores.Commands.GetAsync("cmd-min");
        AssertSameCommand(command, stored);
        Assert.Empty(stored!.Args);
        Assert.Null(stored.ReplyTo.Extra);
        Assert.Null(stored.ReplyTo.Thread);
    }

    [Fact]
    public async Task Get_of_an_unknown_command_is_null()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1"));

        Assert.Null(await Stores.Commands.GetAsync("cmd-2"));
    }

    [Fact]
    public async Task Creating_the_same_id_twice_fails_the_second_time_and_keeps_the_first()
    {
        Assert.True(await Stores.Commands.TryCreateAsync(Command("cmd-1")));

        Assert.False(await Stores.Commands.TryCreateAsync(Command("cmd-1", serverId: "web-9") with { Text = "redelivered" }));

        var stored = await Stores.Commands.GetAsync("cmd-1");
        Assert.Equal("web-1", stored!.ServerId);
        Assert.Equal("/chatops restart web-1", stored.Text);
    }

    [Fact]
    public async Task Of_50_concurrent_creates_of_one_id_exactly_one_succeeds()
    {
        var results = await RunConcurrentlyAsync(50, i => Stores.Commands.TryCreateAsync(Command("cmd-race") with { Text = $"attempt {i}" }));

        Assert.Single(results, created => created);
        var winner = Array.IndexOf(results, true);
        Assert.Equal($"attempt {winner}", (await Stores.Commands.GetAsync("cmd-race"))!.Text);
        Assert.Single(await Stores.Commands.ListRecentAsync());
    }

    [Fact]
    public async Task A_transition_from_an_allowed_state_moves_the_command_and_sets_the_update()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1"));

        var moved = await Stores.Commands.TryTransitionAsync(
            "cmd-1", [CommandState.Queued], CommandState.Dispatched, new CommandUpdate { FencingToken = 17 });

        Assert.True(moved);
        var stored = await Stores.Commands.GetAsync("cmd-1");
        Assert.Equal(CommandState.Dispatched, stored!.State);
        Assert.Equal(17, stored.FencingToken);
    }

    [Fact]
    public async Task A_transition_from_a_state_the_command_is_not_in_changes_nothing()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1"));

        var moved = await Stores.Commands.TryTransitionAsync(
            "cmd-1", [CommandState.Dispatched, CommandState.Running], CommandState.Succeeded,
            new CommandUpdate { ExitCode = 0, FinishedAt = At(9), Error = "must not be written" });

        Assert.False(moved);
        AssertSameCommand(Command("cmd-1"), await Stores.Commands.GetAsync("cmd-1"));
    }

    [Fact]
    public async Task A_finished_command_cannot_be_moved_back()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1"));
        Assert.True(await Stores.Commands.TryTransitionAsync("cmd-1", [CommandState.Queued], CommandState.Running, new CommandUpdate { StartedAt = At(1) }));
        Assert.True(await Stores.Commands.TryTransitionAsync("cmd-1", [CommandState.Running], CommandState.Succeeded, new CommandUpdate { ExitCode = 0, FinishedAt = At(2) }));

        // A late "running" report (redelivered, or from a stale agent) must not reopen it.
        Assert.False(await Stores.Commands.TryTransitionAsync(
            "cmd-1", [CommandState.Queued, CommandState.Dispatched, CommandState.Running], CommandState.Running, new CommandUpdate { StartedAt = At(3) }));
        Assert.False(await Stores.Commands.TryTransitionAsync("cmd-1", CommandStates.Active.ToList(), CommandState.TimedOut, new CommandUpdate()));

        var stored = await Stores.Commands.GetAsync("cmd-1");
        Assert.Equal(CommandState.Succeeded, stored!.State);
        Assert.Equal(At(1), stored.StartedAt);
    }

    [Fact]
    public async Task A_transition_of_an_unknown_command_or_from_no_states_is_false()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1"));

        Assert.False(await Stores.Commands.TryTransitionAsync("cmd-unknown", [CommandState.Queued], CommandState.Running, new CommandUpdate()));
        Assert.False(await Stores.Commands.TryTransitionAsync("cmd-1", [], CommandState.Running, new CommandUpdate()));
        Assert.Equal(CommandState.Queued, (await Stores.Commands.GetAsync("cmd-1"))!.State);
    }

    [Fact]
    public async Task Of_concurrent_transitions_out_of_queued_exactly_one_wins()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1"));

        var results = await RunConcurrentlyAsync(40, i => Stores.Commands.TryTransitionAsync(
            "cmd-1",
            [CommandState.Queued],
            i % 2 == 0 ? CommandState.Dispatched : CommandState.Cancelled,
            new CommandUpdate { FencingToken = 1000 + i }));

        Assert.Single(results, moved => moved);
        var winner = Array.IndexOf(results, true);
        var stored = await Stores.Commands.GetAsync("cmd-1");
        Assert.Equal(winner % 2 == 0 ? CommandState.Dispatched : CommandState.Cancelled, stored!.State);
        Assert.Equal(1000 + winner, stored.FencingToken);
    }

    [Fact]
    public async Task An_update_sets_the_fields_it_gives_and_leaves_null_fields_as_they_are()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1") with { FencingToken = 7 });

        await Stores.Commands.TryTransitionAsync("cmd-1", [CommandState.Queued], CommandState.Running, new CommandUpdate { StartedAt = At(1) });
        var running = await Stores.Commands.GetAsync("cmd-1");
        Assert.Equal(7, running!.FencingToken);
        Assert.Equal(At(1), running.StartedAt);
        Assert.Null(running.ExitCode);
        Assert.Null(running.Error);
        Assert.Null(running.FinishedAt);

        await Stores.Commands.TryTransitionAsync(
            "cmd-1", [CommandState.Running], CommandState.Failed,
            new CommandUpdate { ExitCode = 2, Error = "exit code 2", FinishedAt = At(4) });

        AssertSameCommand(
            Command("cmd-1") with
            {
                State = CommandState.Failed,
                FencingToken = 7,
                StartedAt = At(1),
                ExitCode = 2,
                Error = "exit code 2",
                FinishedAt = At(4),
            },
            await Stores.Commands.GetAsync("cmd-1"));
    }

    [Fact]
    public async Task ListByState_returns_the_given_states_oldest_first()
    {
        await Stores.Commands.TryCreateAsync(Command("c-new", createdAt: At(30)));
        await Stores.Commands.TryCreateAsync(Command("c-old", createdAt: At(10)));
        await Stores.Commands.TryCreateAsync(Command("c-mid", createdAt: At(20), state: CommandState.Running));
        await Stores.Commands.TryCreateAsync(Command("c-done", createdAt: At(5), state: CommandState.Succeeded));

        var active = await Stores.Commands.ListByStateAsync([CommandState.Queued, CommandState.Running]);
        var queued = await Stores.Commands.ListByStateAsync([CommandState.Queued]);

        Assert.Equal(["c-old", "c-mid", "c-new"], active.Select(c => c.Id));
        Assert.Equal(["c-old", "c-new"], queued.Select(c => c.Id));
    }

    [Fact]
    public async Task ListByState_filters_by_server_and_honours_the_limit()
    {
        await Stores.Commands.TryCreateAsync(Command("a-1", serverId: "web-1", createdAt: At(1)));
        await Stores.Commands.TryCreateAsync(Command("b-1", serverId: "web-2", createdAt: At(2)));
        await Stores.Commands.TryCreateAsync(Command("a-2", serverId: "web-1", createdAt: At(3)));
        await Stores.Commands.TryCreateAsync(Command("a-3", serverId: "web-1", createdAt: At(4)));

        Assert.Equal(["a-1", "a-2", "a-3"], (await Stores.Commands.ListByStateAsync([CommandState.Queued], "web-1")).Select(c => c.Id));
        Assert.Equal(["b-1"], (await Stores.Commands.ListByStateAsync([CommandState.Queued], "web-2")).Select(c => c.Id));
        Assert.Equal(["a-1", "b-1"], (await Stores.Commands.ListByStateAsync([CommandState.Queued], limit: 2)).Select(c => c.Id));
        Assert.Empty(await Stores.Commands.ListByStateAsync([CommandState.Queued], "web-9"));
    }

    [Fact]
    public async Task ListRecent_is_newest_first_per_server_and_limited()
    {
        await Stores.Commands.TryCreateAsync(Command("a-1", serverId: "web-1", createdAt: At(1)));
        await Stores.Commands.TryCreateAsync(Command("b-1", serverId: "web-2", createdAt: At(2), state: CommandState.Succeeded));
        await Stores.Commands.TryCreateAsync(Command("a-2", serverId: "web-1", createdAt: At(3), state: CommandState.Failed));
        await Stores.Commands.TryCreateAsync(Command("a-3", serverId: "web-1", createdAt: At(4)));

        Assert.Equal(["a-3", "a-2", "b-1", "a-1"], (await Stores.Commands.ListRecentAsync()).Select(c => c.Id));
        Assert.Equal(["a-3", "a-2", "a-1"], (await Stores.Commands.ListRecentAsync("web-1")).Select(c => c.Id));
        Assert.Equal(["a-3", "a-2"], (await Stores.Commands.ListRecentAsync(limit: 2)).Select(c => c.Id));
    }

    [Fact]
    public async Task ListByRequest_returns_the_children_of_one_request_oldest_first()
    {
        await Stores.Commands.TryCreateAsync(Command("req-1:web-2", serverId: "web-2", requestId: "req-1", createdAt: At(2)));
        await Stores.Commands.TryCreateAsync(Command("req-1:web-1", serverId: "web-1", requestId: "req-1", createdAt: At(1)));
        await Stores.Commands.TryCreateAsync(Command("req-2", serverId: "web-1", createdAt: At(1)));

        Assert.Equal(["req-1:web-1", "req-1:web-2"], (await Stores.Commands.ListByRequestAsync("req-1")).Select(c => c.Id));
        Assert.Equal(["req-2"], (await Stores.Commands.ListByRequestAsync("req-2")).Select(c => c.Id));
        Assert.Empty(await Stores.Commands.ListByRequestAsync("req-unknown"));
    }

    [Fact]
    public async Task Output_comes_back_in_seq_order_and_a_redelivered_chunk_is_ignored()
    {
        await Stores.Commands.TryCreateAsync(Command("cmd-1"));
        await Stores.Commands.TryCreateAsync(Command("cmd-2"));
        var first = new OutputChunk("cmd-1", 1, "stdout", "line 1\n", At(1));
        var second = new OutputChunk("cmd-1", 2, "stderr", "warn: ünïcode \u001b[31m\n", At(2));
        var third = new OutputChunk("cmd-1", 3, "stdout", "", At(3));

        await Stores.Commands.AppendOutputAsync(third);
        await Stores.Commands.AppendOutputAsync(first);
        await Stores.Commands.AppendOutputAsync(second);
        await Stores.Commands.AppendOutputAsync(first with { Text = "redelivered, different text" });
        await Stores.Commands.AppendOutputAsync(new OutputChunk("cmd-2", 1, "stdout", "other command", At(1)));

        Assert.Equal([first, second, third], await Stores.Commands.GetOutputAsync("cmd-1"));
        Assert.Single(await Stores.Commands.GetOutputAsync("cmd-2"));
        Assert.Empty(await Stores.Commands.GetOutputAsync("cmd-unknown"));
    }

    [Fact]
    public async Task Output_for_an_unknown_command_is_refused()
    {
        await Assert.ThrowsAnyAsync<InvalidOperationException>(
            () => Stores.Commands.AppendOutputAsync(new OutputChunk("cmd-unknown", 1, "stdout", "x", T0)));
    }
}
