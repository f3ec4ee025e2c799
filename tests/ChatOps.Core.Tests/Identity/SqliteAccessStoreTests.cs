using ChatOps.Core.Approvals;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Core.Tests.Identity;

/// <summary>The SQLite policy, approval and account stores (schema version 4) on a fresh file.</summary>
public sealed class SqliteAccessStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"chatops-access-store-{Guid.NewGuid():N}.db");
    private SqliteConnectionFactory _connections = null!;

    public async Task InitializeAsync()
    {
        _connections = new SqliteConnectionFactory(new SqliteStoreOptions { Path = _path });
        await new SqliteMigrator(_connections, new FakeTimeProvider(T0)).MigrateAsync();
        await new SqliteUserStore(_connections).UpsertUserAsync(new User("alice", "Alice", [Roles.Operator], T0));
    }

    public Task DisposeAsync()
    {
        _connections.Dispose();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(file);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Rules_replace_per_command_reset_to_defaults_and_risks_stay_apart()
    {
        var store = new SqlitePolicyStore(_connections);
        await store.ReplaceCommandRulesAsync("restart", [Rule("r1", "operator", "restart", "role:web"), Rule("r2", "approver", "restart", "*")], T0);
        await store.ReplaceCommandRulesAsync("logs", [], T0);
        await store.SetRiskAsync("restart", Risk.High, T0);
        await store.ReplaceCommandRulesAsync("restart", [Rule("r3", "operator", "restart", "web-*")], T0);

        var data = await store.LoadAsync();
        Assert.Equal(["r3"], data.Rules.Select(r => r.Id));
        Assert.Equal(new CommandPolicy("logs", null, true, T0), data.Commands.Single(c => c.Command == "logs"));
        Assert.Equal(new CommandPolicy("restart", Risk.High, true, T0), data.Commands.Single(c => c.Command == "restart"));

        await store.ResetCommandRulesAsync("restart", T0);
        await store.SetRiskAsync("restart", null, T0);
        data = await store.LoadAsync();
        Assert.Empty(data.Rules);
        Assert.Equal(new CommandPolicy("restart", null, false, T0), data.Commands.Single(c => c.Command == "restart"));
    }

    [Fact]
    public async Task An_approval_is_created_once_and_decided_once_even_when_two_race()
    {
        var store = new SqliteApprovalStore(_connections);
        var approval = Approval("a1", T0 + TimeSpan.FromMinutes(15));

        Assert.True(await store.TryCreateAsync(approval));
        Assert.False(await store.TryCreateAsync(approval with { Text = "other" }));
        var results = await Task.WhenAll(
            store.TryDecideAsync("a1", ApprovalState.Approved, "bob", "Bob", null, T0),
            store.TryDecideAsync("a1", ApprovalState.Denied, "carol", "Carol", "no", T0));

        Assert.Single(results, won => won);
        var stored = await store.GetAsync("a1");
        Assert.Equal(results[0] ? ApprovalState.Approved : ApprovalState.Denied, stored!.State);
        Assert.Equal(results[0] ? "bob" : "carol", stored.DecidedByUserId);
        Assert.Equal(T0, stored.DecidedAt);
        Assert.Equal(approval.Servers, stored.Servers);
        Assert.Equal(approval.ReplyTo.Get("response_url"), stored.ReplyTo.Get("response_url"));
        Assert.Equal((approval.Requester, approval.ExpiresAt, approval.Text, approval.Fingerprint), (stored.Requester, stored.ExpiresAt, stored.Text, stored.Fingerprint));
    }

    [Fact]
    public async Task Only_pending_approvals_past_their_expiry_are_listed_as_expired()
    {
        var store = new SqliteApprovalStore(_connections);
        await store.TryCreateAsync(Approval("due", T0));
        await store.TryCreateAsync(Approval("later", T0 + TimeSpan.FromMinutes(1)));
        await store.TryCreateAsync(Approval("decided", T0 - TimeSpan.FromMinutes(1)));
        await store.TryDecideAsync("decided", ApprovalState.Denied, "bob", "Bob", null, T0);

        Assert.Equal(["due"], (await store.ListExpiredAsync(T0)).Select(a => a.Id));
        Assert.Equal(["decided"], (await store.ListAsync(ApprovalState.Denied)).Select(a => a.Id));
        Assert.Equal(3, (await store.ListAsync()).Count);
    }

    [Fact]
    public async Task Passwords_belong_to_existing_users_and_identities_can_be_unlinked()
    {
        var accounts = new SqliteUserAccountStore(_connections);
        var users = new SqliteUserStore(_connections);
        await accounts.SetPasswordHashAsync("alice", "pbkdf2-sha256$1$a$b", T0);
        await accounts.SetPasswordHashAsync("alice", "pbkdf2-sha256$2$c$d", T0);
        await users.LinkIdentityAsync("slack:T1/U1", "alice");

        Assert.Equal("pbkdf2-sha256$2$c$d", await accounts.GetPasswordHashAsync("alice"));
        Assert.Null(await accounts.GetPasswordHashAsync("bob"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => accounts.SetPasswordHashAsync("bob", "x", T0));
        Assert.True(await accounts.UnlinkIdentityAsync("slack:T1/U1"));
        Assert.False(await accounts.UnlinkIdentityAsync("slack:T1/U1"));
        Assert.Null(await users.FindByIdentityAsync("slack:T1/U1"));
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
