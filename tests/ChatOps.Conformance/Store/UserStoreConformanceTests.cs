using ChatOps.Core.Domain;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Conformance.Store;

public abstract class UserStoreConformanceTests : StoreConformanceTests
{
    private static User Alice => new("u-alice", "Alice", [Roles.Operator, Roles.Approver], T0);

    [Fact]
    public async Task Upsert_then_get_returns_every_field()
    {
        await Stores.Users.UpsertUserAsync(Alice);

        AssertSameUser(Alice, await Stores.Users.GetUserAsync("u-alice"));
        Assert.Null(await Stores.Users.GetUserAsync("u-unknown"));
    }

    [Fact]
    public async Task Upsert_of_an_existing_user_changes_name_and_roles_and_keeps_CreatedAt()
    {
        await Stores.Users.UpsertUserAsync(Alice);

        await Stores.Users.UpsertUserAsync(new User("u-alice", "Alice Liddell", [Roles.Viewer], At(99)));

        AssertSameUser(new User("u-alice", "Alice Liddell", [Roles.Viewer], T0), await Stores.Users.GetUserAsync("u-alice"));
    }

    [Fact]
    public async Task ListUsers_is_ordered_by_id()
    {
        await Stores.Users.UpsertUserAsync(new User("u-carol", "Carol", [], T0));
        await Stores.Users.UpsertUserAsync(Alice);
        await Stores.Users.UpsertUserAsync(new User("u-bob", "Bob", [Roles.Admin], T0));

        Assert.Equal(["u-alice", "u-bob", "u-carol"], (await Stores.Users.ListUsersAsync()).Select(u => u.Id));
    }

    [Fact]
    public async Task A_linked_identity_finds_its_user_and_relinking_moves_it()
    {
        await Stores.Users.UpsertUserAsync(Alice);
        await Stores.Users.UpsertUserAsync(new User("u-bob", "Bob", [], T0));

        await Stores.Users.LinkIdentityAsync("slack:T1/U2", "u-alice");
        await Stores.Users.LinkIdentityAsync("teams:tenant/aad-1", "u-alice");
        await Stores.Users.LinkIdentityAsync("apikey:k1", "u-alice");

        AssertSameUser(Alice, await Stores.Users.FindByIdentityAsync("slack:T1/U2"));
        Assert.Equal(["apikey:k1", "slack:T1/U2", "teams:tenant/aad-1"], await Stores.Users.ListIdentitiesAsync("u-alice"));

        await Stores.Users.LinkIdentityAsync("slack:T1/U2", "u-bob");

        Assert.Equal("u-bob", (await Stores.Users.FindByIdentityAsync("slack:T1/U2"))?.Id);
        Assert.Equal(["apikey:k1", "teams:tenant/aad-1"], await Stores.Users.ListIdentitiesAsync("u-alice"));
        Assert.Equal(["slack:T1/U2"], await Stores.Users.ListIdentitiesAsync("u-bob"));
        Assert.Null(await Stores.Users.FindByIdentityAsync("slack:T1/U3"));
    }

    [Fact]
    public async Task Linking_an_identity_to_an_unknown_user_is_refused()
    {
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Stores.Users.LinkIdentityAsync("slack:T1/U2", "u-ghost"));

        Assert.Null(await Stores.Users.FindByIdentityAsync("slack:T1/U2"));
    }

    [Fact]
    public async Task An_api_key_is_found_by_its_hash_until_it_is_revoked()
    {
        await Stores.Users.UpsertUserAsync(Alice);
        var key = new ApiKey("k1", "u-alice", "ci pipeline", "sha256:aaa", T0, null);
        var other = new ApiKey("k2", "u-alice", "laptop", "sha256:bbb", At(1), null);
        await Stores.Users.CreateApiKeyAsync(key);
        await Stores.Users.CreateApiKeyAsync(other);

        Assert.Equal(key, await Stores.Users.FindApiKeyByHashAsync("sha256:aaa"));

        Assert.True(await Stores.Users.RevokeApiKeyAsync("k1", At(5)));
        Assert.False(await Stores.Users.RevokeApiKeyAsync("k1", At(6)));
        Assert.False(await Stores.Users.RevokeApiKeyAsync("k-unknown", At(6)));

        Assert.Null(await Stores.Users.FindApiKeyByHashAsync("sha256:aaa"));
        Assert.Equal(other, await Stores.Users.FindApiKeyByHashAsync("sha256:bbb"));
        Assert.Null(await Stores.Users.FindApiKeyByHashAsync("sha256:unknown"));
    }

    [Fact]
    public async Task ListApiKeys_shows_revoked_keys_with_their_revocation_time()
    {
        await Stores.Users.UpsertUserAsync(Alice);
        await Stores.Users.CreateApiKeyAsync(new ApiKey("k2", "u-alice", "laptop", "sha256:bbb", At(1), null));
        await Stores.Users.CreateApiKeyAsync(new ApiKey("k1", "u-alice", "ci", "sha256:aaa", T0, null));
        await Stores.Users.RevokeApiKeyAsync("k1", At(5));

        Assert.Equal(
            [new ApiKey("k1", "u-alice", "ci", "sha256:aaa", T0, At(5)), new ApiKey("k2", "u-alice", "laptop", "sha256:bbb", At(1), null)],
            await Stores.Users.ListApiKeysAsync());
    }

    [Fact]
    public async Task An_api_key_with_a_taken_id_or_hash_or_an_unknown_user_is_refused()
    {
        await Stores.Users.UpsertUserAsync(Alice);
        var key = new ApiKey("k1", "u-alice", "ci", "sha256:aaa", T0, null);
        await Stores.Users.CreateApiKeyAsync(key);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Stores.Users.CreateApiKeyAsync(key with { KeyHash = "sha256:new" }));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Stores.Users.CreateApiKeyAsync(key with { Id = "k2" }));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Stores.Users.CreateApiKeyAsync(new ApiKey("k3", "u-ghost", "x", "sha256:ccc", T0, null)));

        Assert.Equal([key], await Stores.Users.ListApiKeysAsync());
    }
}
