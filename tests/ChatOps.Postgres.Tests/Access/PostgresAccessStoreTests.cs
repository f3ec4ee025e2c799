using ChatOps.Core.Approvals;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Tests.Support;

namespace ChatOps.Postgres.Tests.Access;

/// <summary>
/// The policy, approval and account stores (migration 004) on PostgreSQL: the behaviours the SQLite
/// stores' tests pin, plus what only a server with several replicas can show.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAccessStoreTests(PostgresServerFixture server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private TestSchema _schema = null!;

    public async Task InitializeAsync()
    {
        _schema = await TestSchema.CreateAsync(server);
        await new PostgresUserStore(_schema.DataSources).UpsertUserAsync(new User("alice", "Alice", [Roles.Operator], T0));
    }

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task Rules_replace_per_command_reset_to_defaults_and_risks_stay_apart()
    {
        var store = new PostgresPolicyStore(_schema.DataSources);
        await store.ReplaceCommandRulesAsync("restart", [Rule("r1", "operator", "restart", "role:web"), Rule("r2", "approver", "restart", "*")], T0);
        await store.ReplaceCommandRulesAsync("logs", [], T0);
        await store.SetRiskAsync("restart", Risk.High, T0);
        await store.ReplaceCommandRulesAsync("restart", [Rule("r3", "operator", "restart", "web-*")], T0 + TimeSpan.FromMinutes(1));

        var data = await store.LoadAsync();
        Assert.Equal(["r3"], data.Rules.Select(r => r.Id));
        Assert.Equal(Rule("r3", "operator", "restart", "web-*"), data.Rules[0]);
        Assert.Equal(new CommandPolicy("logs", null, true, T0), data.Commands.Single(c => c.Command == "logs"));
        Assert.Equal(new CommandPolicy("restart", Risk.High, true, T0 + TimeSpan.FromMinutes(1)), data.Commands.Single(c => c.Command == "restart"));

        await store.ResetCommandRulesAsync("restart", T0);
        await store.SetRiskAsync("restart", null, T0);
        data = await store.LoadAsync();
        Assert.Empty(data.Rules);
        Assert.Equal(new CommandPolicy("restart", null, false, T0), data.Commands.Single(c => c.Command == "restart"));
    }

    [Fact]
    public async Task Rules_load_sorted_by_command_role_and_target_by_code_point()
    {
        var store = new PostgresPolicyStore(_schema.DataSources);
        await store.ReplaceCommandRulesAsync("restart", [Rule("r1", "operator", "restart", "web-*"), Rule("r2", "Operator", "restart", "*"), Rule("r3", "operator", "restart", "db-1")], T0);
        await store.ReplaceCommandRulesAsync("logs", [Rule("r4", "viewer", "logs", "*")], T0);

        Assert.Equal(["r4", "r2", "r3", "r1"], (await store.LoadAsync()).Rules.Select(r => r.Id));
    }

    [Fact]
    public async Task A_replace_that_fails_part_way_leaves_the_previous_rules_and_flag_untouched()
    {
        var store = new PostgresPolicyStore(_schema.DataSources);
        await store.ReplaceCommandRulesAsync("logs", [Rule("taken", "viewer", "logs", "*")], T0);
        await store.ResetCommandRulesAsync("restart", T0);
        await store.ReplaceCommandRulesAsync("restart", [Rule("r1", "operator", "restart", "*")], T0);
        await store.ResetCommandRulesAsync("status", T0);

        // The second rule's id belongs to a rule of another command: the insert fails after the delete and the first insert ran.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.ReplaceCommandRulesAsync("restart", [Rule("r2", "approver", "restart", "*"), Rule("taken", "operator", "restart", "*")], T0 + TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.ReplaceCommandRulesAsync("status", [Rule("taken", "operator", "status", "*")], T0 + TimeSpan.FromMinutes(1)));

        Assert.Contains("'taken'", error.Message, StringComparison.Ordinal);
        var data = await store.LoadAsync();
        Assert.Equal(["taken", "r1"], data.Rules.Select(r => r.Id));
        Assert.Equal(new CommandPolicy("restart", null, true, T0), data.Commands.Single(c => c.Command == "restart"));
        Assert.Equal(new CommandPolicy("status", null, false, T0), data.Commands.Single(c => c.Command == "status"));
    }

    [Fact]
    public async Task Rules_for_another_command_and_blank_commands_are_refused()
    {
        var store = new PostgresPolicyStore(_schema.DataSources);

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReplaceCommandRulesAsync("restart", [Rule("r1", "operator", "logs", "*")], T0));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SetRiskAsync(" ", Risk.High, T0));
        Assert.Equal(PolicyData.Empty.Commands, (await store.LoadAsync()).Commands);
    }

    [Fact]
    public async Task An_approval_is_created_once_and_decided_once_even_when_replicas_race()
    {
        var approval = Approval("a1", T0 + TimeSpan.FromMinutes(15));
        var replicas = Enumerable.Range(0, 4).Select(_ => new PostgresApprovalStore(_schema.NewDataSources())).ToList();

        Assert.True(await replicas[0].TryCreateAsync(approval));
        Assert.False(await replicas[1].TryCreateAsync(approval with { Text = "other" }));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var races = replicas.Select((store, i) => Task.Run(async () =>
        {
            await start.Task;
            return await store.TryDecideAsync("a1", i % 2 == 0 ? ApprovalState.Approved : ApprovalState.Denied, $"user-{i}", $"User {i}", $"reason {i}", T0);
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(races).WaitAsync(TimeSpan.FromSeconds(30));

        var winner = Assert.Single(Enumerable.Range(0, results.Length), i => results[i]);
        var stored = await replicas[0].GetAsync("a1");
        Assert.Equal(winner % 2 == 0 ? ApprovalState.Approved : ApprovalState.Denied, stored!.State);
        Assert.Equal(($"user-{winner}", $"User {winner}", $"reason {winner}"), (stored.DecidedByUserId, stored.DecidedByName, stored.Reason));
        // Everything else as created (the lists compared by content below).
        Assert.Equal(approval with { State = stored.State, DecidedAt = T0, DecidedByUserId = stored.DecidedByUserId, DecidedByName = stored.DecidedByName, Reason = stored.Reason, Servers = stored.Servers, ReplyTo = stored.ReplyTo }, stored);
        Assert.Equal(approval.Servers, stored.Servers);
        Assert.Equal(approval.ReplyTo.Get("response_url"), stored.ReplyTo.Get("response_url"));
        Assert.Equal((approval.ReplyTo.Platform, approval.ReplyTo.Channel, approval.ReplyTo.Thread), (stored.ReplyTo.Platform, stored.ReplyTo.Channel, stored.ReplyTo.Thread));
        Assert.False(await replicas[0].TryDecideAsync("a1", ApprovalState.Cancelled, null, null, null, T0));
        Assert.False(await replicas[0].TryDecideAsync("missing", ApprovalState.Approved, "bob", "Bob", null, T0));
    }

    [Fact]
    public async Task Only_pending_approvals_past_their_expiry_are_listed_as_expired()
    {
        var store = new PostgresApprovalStore(_schema.DataSources);
        await store.TryCreateAsync(Approval("due", T0));
        await store.TryCreateAsync(Approval("overdue", T0 - TimeSpan.FromSeconds(1)));
        await store.TryCreateAsync(Approval("later", T0 + TimeSpan.FromMinutes(1)));
        await store.TryCreateAsync(Approval("decided", T0 - TimeSpan.FromMinutes(1)));
        await store.TryDecideAsync("decided", ApprovalState.Denied, "bob", "Bob", null, T0);

        Assert.Equal(["overdue", "due"], (await store.ListExpiredAsync(T0)).Select(a => a.Id));
        Assert.Equal(["overdue"], (await store.ListExpiredAsync(T0, limit: 1)).Select(a => a.Id));
        Assert.Equal(["decided"], (await store.ListAsync(ApprovalState.Denied)).Select(a => a.Id));
        Assert.Equal(4, (await store.ListAsync()).Count);
    }

    [Fact]
    public async Task Approvals_list_newest_first()
    {
        var store = new PostgresApprovalStore(_schema.DataSources);
        await store.TryCreateAsync(Approval("old", T0) with { RequestedAt = T0 - TimeSpan.FromHours(2) });
        await store.TryCreateAsync(Approval("new", T0) with { RequestedAt = T0 - TimeSpan.FromMinutes(1) });
        await store.TryCreateAsync(Approval("middle", T0) with { RequestedAt = T0 - TimeSpan.FromHours(1) });

        Assert.Equal(["new", "middle", "old"], (await store.ListAsync()).Select(a => a.Id));
        Assert.Equal(["new", "middle"], (await store.ListAsync(ApprovalState.Pending, limit: 2)).Select(a => a.Id));
    }

    [Fact]
    public async Task A_decision_of_pending_is_refused()
    {
        var store = new PostgresApprovalStore(_schema.DataSources);
        await store.TryCreateAsync(Approval("a1", T0));

        await Assert.ThrowsAsync<ArgumentException>(() => store.TryDecideAsync("a1", ApprovalState.Pending, "bob", "Bob", null, T0));
        Assert.Equal(ApprovalState.Pending, (await store.GetAsync("a1"))!.State);
    }

    [Fact]
    public async Task Approval_servers_and_reply_to_are_jsonb_and_NUL_in_text_is_replaced_visibly()
    {
        var store = new PostgresApprovalStore(_schema.DataSources);
        await store.TryCreateAsync(Approval("a1", T0) with { Text = "restart\0web" });
        await store.TryDecideAsync("a1", ApprovalState.Denied, "bob", "Bob", "no\0pe", T0);

        Assert.Equal("a1", await _schema.ScalarAsync<string>("SELECT id FROM approvals WHERE servers @> '[\"web-2\"]'"));
        Assert.Equal("jsonb", await _schema.ScalarAsync<string>("SELECT pg_typeof(reply_to)::text FROM approvals"));
        var stored = await store.GetAsync("a1");
        Assert.Equal(("restart\uFFFDweb", "no\uFFFDpe"), (stored!.Text, stored.Reason));
    }

    [Fact]
    public async Task Passwords_belong_to_existing_users_and_identities_can_be_unlinked()
    {
        var accounts = new PostgresUserAccountStore(_schema.DataSources);
        var users = new PostgresUserStore(_schema.DataSources);
        await accounts.SetPasswordHashAsync("alice", "pbkdf2-sha256$1$a$b", T0);
        await accounts.SetPasswordHashAsync("alice", "pbkdf2-sha256$2$c$d", T0 + TimeSpan.FromMinutes(1));
        await users.LinkIdentityAsync("slack:T1/U1", "alice");
        await users.LinkIdentityAsync("teams:U9", "alice");

        Assert.Equal("pbkdf2-sha256$2$c$d", await accounts.GetPasswordHashAsync("alice"));
        Assert.Equal((T0 + TimeSpan.FromMinutes(1)).UtcDateTime, await _schema.ScalarAsync<DateTime>("SELECT updated_at FROM user_passwords WHERE user_id = 'alice'"));
        Assert.Null(await accounts.GetPasswordHashAsync("bob"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => accounts.SetPasswordHashAsync("bob", "x", T0));
        Assert.Contains("no user 'bob'", error.Message, StringComparison.Ordinal);
        Assert.True(await accounts.UnlinkIdentityAsync("slack:T1/U1"));
        Assert.False(await accounts.UnlinkIdentityAsync("slack:T1/U1"));
        Assert.Null(await users.FindByIdentityAsync("slack:T1/U1"));
        Assert.Equal(["teams:U9"], await users.ListIdentitiesAsync("alice"));
    }

    private static PermissionRule Rule(string id, string role, string command, string target) => new(id, role, command, target, T0, "root");

    private static ApprovalRequest Approval(string id, DateTimeOffset expiresAt) => new()
    {
        Id = id,
        RequestId = id,
        CommandName = "restart",
        Target = "role:web",
        Action = "restart",
        Servers = ["web-1", "web-2"],
        Fingerprint = new string('a', 64),
        Text = "restart role:web nginx",
        Requester = new Requester("alice", "slack:T1/U1", "Alice"),
        ReplyTo = new ChatRef("slack", "C1", "171.2", new Dictionary<string, string> { ["response_url"] = "https://hooks.example/1" }),
        State = ApprovalState.Pending,
        RequestedAt = T0 - TimeSpan.FromMinutes(15),
        ExpiresAt = expiresAt,
    };
}
