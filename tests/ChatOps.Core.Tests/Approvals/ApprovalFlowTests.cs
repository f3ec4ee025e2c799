using ChatOps.Core.Agents;
using ChatOps.Core.Approvals;
using ChatOps.Core.Domain;
using Microsoft.Data.Sqlite;
using static ChatOps.Core.Tests.Approvals.AccessHarness;

namespace ChatOps.Core.Tests.Approvals;

/// <summary>Two-person control for high-risk commands, through chat, the router and the sweeper.</summary>
public sealed class ApprovalFlowTests : IAsyncLifetime
{
    private AccessHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await AccessHarness.StartAsync();
        await _h.MakeHighRiskAsync("restart");
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_high_risk_command_waits_and_the_thread_says_what_exactly_waits()
    {
        var agent = await _h.ConnectAgentAsync("web-1");

        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");

        var replies = await _h.Chat.WaitForReplyAsync(id, "needs approval");
        var approval = await _h.Approvals.GetAsync(id);
        Assert.Contains("`restart web-1 nginx` on web-1", replies);
        Assert.Contains($"approve {id}", replies);
        Assert.Contains("sha256 " + ApprovalFingerprint.Short(approval!.Fingerprint), replies);
        Assert.Equal(ApprovalState.Pending, approval.State);
        Assert.Equal(_h.Time.GetUtcNow() + TimeSpan.FromMinutes(15), approval.ExpiresAt);
        Assert.Equal(CommandState.AwaitingApproval, (await _h.Commands.GetAsync(id))!.State);
        Assert.False(agent.TryTakeDispatch(out _));
        Assert.Single(await _h.AuditAsync("approval.requested", id));
        Assert.Single(await _h.AuditAsync("command.requested", id));
    }

    [Fact]
    public async Task The_requester_cannot_approve_their_own_request_even_as_an_approver()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");

        var reply = await _h.SayAsync(Alice, $"approve {id}");

        Assert.Contains("cannot approve your own request", reply.Text);
        await _h.Chat.WaitForReplyAsync(id, "Alice cannot approve their own request");
        Assert.Equal(ApprovalState.Pending, (await _h.Approvals.GetAsync(id))!.State);
        Assert.Equal(CommandState.AwaitingApproval, (await _h.Commands.GetAsync(id))!.State);
        Assert.False(agent.TryTakeDispatch(out _));
        Assert.Single(await _h.AuditAsync("approval.refused", id), e => e.Actor == "alice" && e.Detail == "self-approval");
    }

    [Fact]
    public async Task Someone_without_the_approver_role_cannot_approve()
    {
        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");

        var viewer = await _h.SayAsync(Vic, $"approve {id}");
        var operatorOnly = await _h.SayAsync(Otto, $"approve {id}");

        Assert.Contains("not allowed to run `approve`", viewer.Text);
        Assert.Contains("not allowed to run `approve`", operatorOnly.Text);
        Assert.Equal(ApprovalState.Pending, (await _h.Approvals.GetAsync(id))!.State);
        Assert.Equal(2, (await _h.AuditAsync("command.denied", "approve")).Count);
    }

    [Fact]
    public async Task A_different_approver_approves_and_the_command_runs()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");

        var reply = await _h.SayAsync(Bob, $"approve #{id}");
        var dispatch = await agent.NextAsync<DispatchFrame>();
        await _h.Gateway.OnFrameAsync(agent, new AcceptedFrame(id), CancellationToken.None);
        await _h.Gateway.OnFrameAsync(agent, new ResultFrame(id, ResultStatuses.Succeeded, 0, 50, false, 0), CancellationToken.None);

        Assert.StartsWith($"Approved #{id}", reply.Text);
        Assert.Equal("restart", dispatch.Action);
        Assert.Equal("nginx", dispatch.Args["service"]);
        var replies = await _h.Chat.WaitForReplyAsync(id, "exit code 0");
        Assert.Contains($"#{id} approved by Bob", replies);
        var approval = await _h.Approvals.GetAsync(id);
        Assert.Equal(ApprovalState.Approved, approval!.State);
        Assert.Equal("bob", approval.DecidedByUserId);
        Assert.Single(await _h.AuditAsync("approval.approved", id), e => e.Actor == "bob");
    }

    [Fact]
    public async Task A_denied_request_never_runs_and_says_why()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");

        var reply = await _h.SayAsync(Bob, $"deny {id} not during the sale");
        await _h.Chat.WaitForReplyAsync(id, "was not run: Bob denied it (not during the sale)");

        Assert.StartsWith($"Denied #{id}", reply.Text);
        await _h.Chat.WaitForReplyAsync(id, $"#{id} denied by Bob: not during the sale");
        await _h.Chat.WaitForStateAsync(id, CommandState.Rejected);
        Assert.Equal(CommandState.Rejected, (await _h.Commands.GetAsync(id))!.State);
        Assert.False(agent.TryTakeDispatch(out _));
        Assert.Single(await _h.AuditAsync("approval.denied", id));
        Assert.Contains("already denied by Bob", (await _h.SayAsync(Root, $"approve {id}")).Text);
    }

    [Fact]
    public async Task An_approval_nobody_decides_expires_and_cannot_be_approved_afterwards()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");

        _h.Time.Advance(TimeSpan.FromMinutes(14));
        await _h.HeartbeatAsync(agent);
        await _h.Sweeper.SweepOnceAsync(CancellationToken.None);
        Assert.Equal(ApprovalState.Pending, (await _h.Approvals.GetAsync(id))!.State);

        _h.Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await _h.Sweeper.SweepOnceAsync(CancellationToken.None);

        await _h.Chat.WaitForReplyAsync(id, "approval expired; nothing was run");
        await _h.Chat.WaitForReplyAsync(id, "was not run: approval expired");
        await _h.WaitForStoredStateAsync(id, CommandState.Rejected);
        Assert.Equal(ApprovalState.Expired, (await _h.Approvals.GetAsync(id))!.State);
        Assert.Contains("already expired", (await _h.SayAsync(Bob, $"approve {id}")).Text);
        Assert.False(agent.TryTakeDispatch(out _));
        Assert.Single(await _h.AuditAsync("approval.expired", id), e => e.Actor == "system");
    }

    [Fact]
    public async Task An_approval_is_bound_to_the_exact_command_it_was_requested_for()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");

        // Someone with database access swaps the service while the request waits.
        await using (var connection = new SqliteConnection($"Data Source={_h.DatabasePath}"))
        {
            await connection.OpenAsync();
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE commands SET args = '{\"service\":\"postgresql\"}' WHERE id = $id";
            update.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        var reply = await _h.SayAsync(Bob, $"approve {id}");

        Assert.Contains("no longer match what was requested", reply.Text);
        Assert.Equal(ApprovalState.Pending, (await _h.Approvals.GetAsync(id))!.State);
        Assert.Equal(CommandState.AwaitingApproval, (await _h.Commands.GetAsync(id))!.State);
        Assert.False(agent.TryTakeDispatch(out _));
        Assert.Single(await _h.AuditAsync("approval.refused", id), e => e.Actor == "bob");
    }

    [Fact]
    public void The_fingerprint_changes_with_every_part_of_the_command()
    {
        var baseline = Record("web-1", "restart", "restart", new Dictionary<string, string> { ["service"] = "nginx" });
        var reference = ApprovalFingerprint.Compute("web-1", [baseline]);

        Assert.Equal(reference, ApprovalFingerprint.Compute("web-1", [baseline with { }]));
        Assert.NotEqual(reference, ApprovalFingerprint.Compute("web-*", [baseline]));
        Assert.NotEqual(reference, ApprovalFingerprint.Compute("web-1", [baseline with { ServerId = "web-2" }]));
        Assert.NotEqual(reference, ApprovalFingerprint.Compute("web-1", [baseline with { CommandName = "run" }]));
        Assert.NotEqual(reference, ApprovalFingerprint.Compute("web-1", [baseline with { Action = "stop" }]));
        Assert.NotEqual(reference, ApprovalFingerprint.Compute("web-1", [baseline with { Args = new Dictionary<string, string> { ["service"] = "nginx " } }]));
        Assert.NotEqual(reference, ApprovalFingerprint.Compute("web-1", [baseline with { Args = new Dictionary<string, string> { ["service"] = "nginx", ["$1"] = "x" } }]));
        // Field boundaries are unambiguous: moving text between name and value changes the hash.
        Assert.NotEqual(
            ApprovalFingerprint.Compute("t", [baseline with { Args = new Dictionary<string, string> { ["ab"] = "c" } }]),
            ApprovalFingerprint.Compute("t", [baseline with { Args = new Dictionary<string, string> { ["a"] = "bc" } }]));
    }

    [Fact]
    public async Task Cancelling_a_waiting_request_withdraws_the_approval()
    {
        var id = await _h.RequestAsync(Alice, "restart role:web nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");

        await _h.SayAsync(Alice, $"cancel {id}-web-1");

        await _h.WaitForApprovalAsync(id, ApprovalState.Cancelled);
        await _h.WaitForStoredStateAsync(id + "-web-2", CommandState.Cancelled);
        Assert.Equal(CommandState.Cancelled, (await _h.Commands.GetAsync(id + "-web-1"))!.State);
        Assert.Contains("already cancelled", (await _h.SayAsync(Bob, $"approve {id}")).Text);
    }

    [Fact]
    public async Task The_lock_wait_of_an_approved_command_starts_when_it_was_approved()
    {
        var agent = await _h.ConnectAgentAsync("web-1");
        var id = await _h.RequestAsync(Alice, "restart web-1 nginx");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");
        var busy = await _h.Locks.TryAcquireAsync("web-1", "someone-else", "#other (Otto, run)", TimeSpan.FromHours(1));
        Assert.NotNull(busy);

        _h.Time.Advance(TimeSpan.FromMinutes(10));
        await _h.HeartbeatAsync(agent);
        await _h.SayAsync(Bob, $"approve {id}");
        await _h.Chat.WaitForReplyAsync(id, "is waiting");
        await _h.Sweeper.SweepOnceAsync(CancellationToken.None);
        Assert.Equal(CommandState.Queued, (await _h.Commands.GetAsync(id))!.State);

        _h.Time.Advance(TimeSpan.FromSeconds(61));
        await _h.HeartbeatAsync(agent);
        await _h.Sweeper.SweepOnceAsync(CancellationToken.None);
        await _h.Chat.WaitForReplyAsync(id, "Gave up");
    }

    [Fact]
    public async Task Servers_the_requester_may_not_touch_are_reported_and_left_out_of_the_approval()
    {
        Assert.True((await _h.Policy.AddRuleAsync("root", Roles.Operator, "restart", "role:web")).Ok);
        var everywhere = (await _h.AccessPolicy.SnapshotAsync()).RulesFor("restart").Single(r => r.Role == Roles.Operator && r.Target == "*");
        Assert.True((await _h.Policy.DeleteRuleAsync("root", everywhere.Id)).Ok);

        var id = await _h.RequestAsync(Otto, "restart *-1 nginx");

        await _h.Chat.WaitForReplyAsync(id + "-db-1", "Not run on `db-1`");
        await _h.Chat.WaitForReplyAsync(id, "needs approval");
        var approval = await _h.Approvals.GetAsync(id);
        Assert.Equal(["web-1"], approval!.Servers);
        Assert.Equal(CommandState.Rejected, (await _h.Commands.GetAsync(id + "-db-1"))!.State);
        Assert.Equal(CommandState.AwaitingApproval, (await _h.Commands.GetAsync(id + "-web-1"))!.State);
    }

    private static CommandRecord Record(string server, string name, string action, IReadOnlyDictionary<string, string> args) => new()
    {
        Id = "r1",
        RequestId = "r1",
        ServerId = server,
        CommandName = name,
        Action = action,
        Args = args,
        Text = "x",
        Requester = Alice,
        ReplyTo = new ChatRef("test", "c", "t"),
        State = CommandState.AwaitingApproval,
        Timeout = TimeSpan.FromSeconds(60),
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
