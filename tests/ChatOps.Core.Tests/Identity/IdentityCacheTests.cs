using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Embedded.State;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Core.Tests.Identity;

public sealed class IdentityCacheTests : IAsyncLifetime
{
    private const string Key = "co_test-key-0123456789";
    private static readonly User Otto = new("otto", "Otto", [Roles.Operator], DateTimeOffset.UnixEpoch);
    private static readonly ApiKey OttoKey = new("k1", "otto", "ci", Secrets.Hash(Key), DateTimeOffset.UnixEpoch, null);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-28T02:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly CountingUserStore _users = new();
    private readonly InMemoryPubSub _bus = new();
    private readonly List<IdentityCache> _caches = [];

    public async Task InitializeAsync()
    {
        await _users.UpsertUserAsync(Otto);
        await _users.CreateApiKeyAsync(OttoKey);
        await _users.LinkIdentityAsync("slack:T1/UO", "otto");
    }

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches) await cache.DisposeAsync();
        await _bus.DisposeAsync();
    }

    [Fact]
    public async Task A_verified_key_is_read_from_the_store_once_then_from_memory()
    {
        var directory = new UserDirectory(_users, await CacheAsync(_bus));

        for (var i = 0; i < 5; i++)
            Assert.Equal("otto", (await directory.AuthenticateApiKeyAsync(Key))?.User.Id);

        Assert.Equal(1, _users.KeyReads);
        Assert.Equal(1, _users.UserReads);
    }

    [Fact]
    public async Task A_wrong_key_costs_a_store_read_every_time()
    {
        var directory = new UserDirectory(_users, await CacheAsync(_bus));

        for (var i = 0; i < 3; i++) Assert.Null(await directory.AuthenticateApiKeyAsync("co_guess-" + (i % 2)));

        Assert.Equal(3, _users.KeyReads);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_the_next_lookup()
    {
        var directory = new UserDirectory(_users, await CacheAsync(_bus));
        Assert.NotNull(await directory.AuthenticateApiKeyAsync(Key));

        await _users.RevokeApiKeyAsync(OttoKey.Id, _time.GetUtcNow());
        await directory.ForgetApiKeyAsync(OttoKey.Id);

        Assert.Null(await directory.AuthenticateApiKeyAsync(Key));
    }

    [Fact]
    public async Task A_role_change_reaches_every_cached_way_to_the_user()
    {
        var directory = new UserDirectory(_users, await CacheAsync(_bus));
        await directory.AuthenticateApiKeyAsync(Key);
        await directory.GetAsync("otto");
        await directory.FindByIdentityAsync("slack:T1/UO");

        await _users.UpsertUserAsync(Otto with { Roles = [Roles.Viewer] });
        await directory.ForgetUserAsync("otto");

        Assert.Equal([Roles.Viewer], (await directory.AuthenticateApiKeyAsync(Key))!.Value.User.Roles);
        Assert.Equal([Roles.Viewer], (await directory.GetAsync("otto"))!.Roles);
        Assert.Equal([Roles.Viewer], (await directory.FindByIdentityAsync("slack:T1/UO"))!.Roles);
    }

    [Fact]
    public async Task After_the_ttl_the_store_is_asked_again()
    {
        var directory = new UserDirectory(_users, await CacheAsync(_bus));
        await directory.GetAsync("otto");
        _time.Advance(TimeSpan.FromSeconds(4));
        await directory.GetAsync("otto");
        Assert.Equal(1, _users.UserReads);

        _time.Advance(TimeSpan.FromSeconds(1));
        await directory.GetAsync("otto");

        Assert.Equal(2, _users.UserReads);
    }

    [Fact]
    public async Task A_load_in_flight_during_an_invalidation_is_not_kept()
    {
        var directory = new UserDirectory(_users, await CacheAsync(_bus));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _users.HoldUserRead = release;

        var stale = directory.GetAsync("otto");
        await _users.UserReadStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _users.UpsertUserAsync(Otto with { Roles = [] });
        await directory.ForgetUserAsync("otto");
        release.SetResult();
        Assert.Equal([Roles.Operator], (await stale.WaitAsync(TimeSpan.FromSeconds(10)))!.Roles);

        Assert.Empty((await directory.GetAsync("otto"))!.Roles);
    }

    [Fact]
    public async Task A_change_in_one_process_reaches_the_other_through_pub_sub()
    {
        var here = new UserDirectory(_users, await CacheAsync(_bus));
        var otherBus = new SignallingPubSub(_bus);
        var there = new UserDirectory(_users, await CacheAsync(otherBus));
        Assert.NotNull(await there.AuthenticateApiKeyAsync(Key));
        Assert.NotNull(await there.AuthenticateApiKeyAsync(Key));
        Assert.Equal(1, _users.KeyReads);

        await _users.RevokeApiKeyAsync(OttoKey.Id, _time.GetUtcNow());
        await here.ForgetApiKeyAsync(OttoKey.Id);
        await otherBus.HandledAsync("key:" + OttoKey.Id);

        Assert.Null(await there.AuthenticateApiKeyAsync(Key));
    }

    [Fact]
    public async Task Without_a_subscription_nothing_is_cached()
    {
        var cache = new IdentityCache(_time, Options.Create(new IdentityCacheOptions()), new BrokenPubSub());
        _caches.Add(cache);
        var directory = new UserDirectory(_users, cache);

        for (var i = 0; i < 3; i++) Assert.NotNull(await directory.AuthenticateApiKeyAsync(Key));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.NotNull(await directory.AuthenticateApiKeyAsync(Key));

        Assert.Equal(4, _users.KeyReads);
        // Publishing a change still works here even though the other processes cannot be told.
        await directory.ForgetApiKeyAsync(OttoKey.Id);
    }

    [Fact]
    public async Task The_rules_are_loaded_once_and_again_after_an_edit_through_policy_admin()
    {
        var store = new CountingPolicyStore();
        var catalog = new BuiltInCatalog();
        var cache = await CacheAsync(_bus);
        var policy = new AccessPolicy(catalog, store, cache);
        var run = catalog.Find("run")!;

        for (var i = 0; i < 5; i++) Assert.True((await policy.SnapshotAsync()).MayUse(Otto, run));
        Assert.Equal(1, store.Loads);

        // What PolicyAdmin does for "delete the operator rule of run": store write, then invalidate.
        await store.ReplaceCommandRulesAsync("run", [], _time.GetUtcNow());
        await policy.InvalidateAsync();

        Assert.False((await policy.SnapshotAsync()).MayUse(Otto, run));
        Assert.Equal(2, store.Loads);
    }

    [Fact]
    public async Task A_shared_snapshot_answers_from_many_threads_at_once()
    {
        var store = new CountingPolicyStore();
        var catalog = new BuiltInCatalog();
        await store.ReplaceCommandRulesAsync("run", [.. Enumerable.Range(0, 50).Select(i => new PermissionRule("r" + i, Roles.Operator, "run", $"web-{i}", _time.GetUtcNow(), "root"))], _time.GetUtcNow());
        var snapshot = await new AccessPolicy(catalog, store, await CacheAsync(_bus)).SnapshotAsync();
        var run = catalog.Find("run")!;

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 50).Count(i => snapshot.MayRun(Otto, run, new Server($"web-{i}", $"web-{i}", [], DateTimeOffset.UnixEpoch))))));

        Assert.All(results, count => Assert.Equal(50, count));
    }

    private async Task<IdentityCache> CacheAsync(IPubSub pubSub)
    {
        var cache = new IdentityCache(_time, Options.Create(new IdentityCacheOptions()), pubSub);
        _caches.Add(cache);
        await cache.StartAsync();
        return cache;
    }
}
