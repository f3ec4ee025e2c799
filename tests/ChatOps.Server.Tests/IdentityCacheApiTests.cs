using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using ChatOps.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Server.Tests;

/// <summary>
/// The ack path reads API keys, users and rules from memory, and every way an admin takes a right
/// away (revoke a key, change roles, delete a rule) applies at the next request: in this host at once,
/// in another host sharing pub/sub as soon as the invalidation arrives.
/// </summary>
public sealed class IdentityCacheApiTests : IAsyncDisposable
{
    private const string Run = "/chatops run db-1 uptime";
    private readonly List<ChatOpsApp> _apps = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
    }

    [Fact]
    public async Task Acks_read_no_keys_users_or_rules_from_the_store_once_warm()
    {
        CountingUserStore? users = null;
        CountingPolicyStore? rules = null;
        var app = Start(services =>
        {
            // Long enough that no entry expires during the test: only invalidations may cause reads.
            services.Configure<IdentityCacheOptions>(o => o.PolicyTtl = o.IdentityTtl = TimeSpan.FromMinutes(10));
            services.Decorate<IUserStore>(inner => users = new CountingUserStore(inner));
            services.Decorate<IPolicyStore>(inner => rules = new CountingPolicyStore(inner));
        });
        await app.Get<IdentityCache>().StartAsync();
        await app.CreateUserAsync("olive", Roles.Operator);
        using var olive = app.KeyClient(await app.CreateKeyAsync("olive"));
        await AssertQueuedAsync(olive);

        var (userReads, ruleLoads) = (users!.Reads, rules!.Loads);
        for (var i = 0; i < 10; i++) await AssertQueuedAsync(olive);

        // Before the cache: 3 user-store reads (key, user for auth, user for the intake) and 1 rules load per ack.
        Assert.Equal(userReads, users.Reads);
        Assert.Equal(ruleLoads, rules.Loads);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_the_next_request()
    {
        var app = Start();
        using var admin = app.AdminClient();
        await app.CreateUserAsync("olive", Roles.Operator);
        var (keyId, key) = await CreateKeyAsync(admin, "olive");
        using var olive = app.KeyClient(key);
        await AssertQueuedAsync(olive);

        (await admin.DeleteAsync("/api/keys/" + keyId)).EnsureSuccessStatusCode();

        using var refused = await olive.PostAsJsonAsync("/api/chat/messages", new { text = Run });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_role_taken_away_applies_at_the_next_request()
    {
        var app = Start();
        using var admin = app.AdminClient();
        await app.CreateUserAsync("olive", Roles.Operator);
        using var olive = app.KeyClient(await app.CreateKeyAsync("olive"));
        await AssertQueuedAsync(olive);

        (await admin.PutAsJsonAsync("/api/users/olive", new { roles = new[] { Roles.Viewer } })).EnsureSuccessStatusCode();

        Assert.Contains("not allowed", await PostAsync(olive));
    }

    [Fact]
    public async Task A_deleted_rule_applies_at_the_next_request()
    {
        var app = Start();
        using var admin = app.AdminClient();
        await app.CreateUserAsync("olive", Roles.Operator);
        using var olive = app.KeyClient(await app.CreateKeyAsync("olive"));
        await AssertQueuedAsync(olive);

        await DeleteOperatorRunRuleAsync(admin);

        Assert.Contains("not allowed", await PostAsync(olive));
    }

    [Fact]
    public async Task Changes_made_on_one_host_reach_another_sharing_pub_sub()
    {
        var shared = new InMemoryPubSub();
        var folder = Directory.CreateTempSubdirectory("chatops-identity-cache-").FullName;
        try
        {
            var database = Path.Combine(folder, "chatops.db");
            var signals = new SignallingPubSub(shared);
            var first = Start(services => UsePubSub(services, shared), database);
            var second = Start(services => UsePubSub(services, signals), database);
            await second.Get<IdentityCache>().StartAsync();

            using var admin = first.AdminClient();
            await first.CreateUserAsync("olive", Roles.Operator);
            var (keyId, key) = await CreateKeyAsync(admin, "olive");
            using var olive = second.KeyClient(key);
            await AssertQueuedAsync(olive);

            // Rule deleted on the first host: the second drops its rules once told.
            await DeleteOperatorRunRuleAsync(admin);
            await signals.HandledAsync(IdentityCache.Channel, "policy");
            Assert.Contains("not allowed", await PostAsync(olive));

            // Key revoked on the first host: refused on the second.
            (await admin.DeleteAsync("/api/keys/" + keyId)).EnsureSuccessStatusCode();
            await signals.HandledAsync(IdentityCache.Channel, "key:" + keyId);
            using var refused = await olive.PostAsJsonAsync("/api/chat/messages", new { text = Run });
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        finally
        {
            foreach (var app in _apps) await app.DisposeAsync();
            _apps.Clear();
            await shared.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private ChatOpsApp Start(Action<IServiceCollection>? services = null, string? database = null)
    {
        var settings = database is null ? null : new Dictionary<string, string?> { ["ChatOps:Sqlite:Path"] = database };
        var app = new ChatOpsApp(settings, services);
        _apps.Add(app);
        _ = app.Services; // starts the host
        return app;
    }

    private static void UsePubSub(IServiceCollection services, IPubSub pubSub)
    {
        services.RemoveAll<IPubSub>();
        services.AddSingleton(pubSub);
    }

    private static async Task<(string Id, string Key)> CreateKeyAsync(HttpClient admin, string userId)
    {
        using var response = await admin.PostAsJsonAsync("/api/keys", new { name = "ci", userId });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
    }

    private static async Task DeleteOperatorRunRuleAsync(HttpClient admin)
    {
        var rules = await admin.GetFromJsonAsync<JsonElement>("/api/rules");
        var rule = rules.EnumerateArray().Single(r => r.GetProperty("command").GetString() == "run" && r.GetProperty("role").GetString() == Roles.Operator);
        // Deleting a catalog default makes run's rules custom (without the operator).
        (await admin.DeleteAsync("/api/rules/" + rule.GetProperty("id").GetString())).EnsureSuccessStatusCode();
    }

    private static async Task<string> PostAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/api/chat/messages", new { text = Run });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("text").GetString()!;
    }

    private static async Task AssertQueuedAsync(HttpClient client) => Assert.StartsWith("Queued as", await PostAsync(client));
}
