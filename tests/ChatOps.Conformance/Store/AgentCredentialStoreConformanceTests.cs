using ChatOps.Core.Ports;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Conformance.Store;

public abstract class AgentCredentialStoreConformanceTests : StoreConformanceTests
{
    [Fact]
    public async Task The_first_enrolment_is_generation_1_and_its_token_finds_the_server()
    {
        var generation = await Stores.Credentials.EnrollAsync("web-3", "hash-a", T0);

        Assert.Equal(1, generation);
        Assert.Equal(new AgentCredential("web-3", 1, T0), await Stores.Credentials.FindByTokenHashAsync("hash-a"));
    }

    [Fact]
    public async Task Enrolling_again_revokes_the_old_token_and_increments_the_generation()
    {
        Assert.Equal(1, await Stores.Credentials.EnrollAsync("web-3", "hash-a", T0));
        Assert.Equal(2, await Stores.Credentials.EnrollAsync("web-3", "hash-b", At(10)));
        Assert.Equal(3, await Stores.Credentials.EnrollAsync("web-3", "hash-c", At(20)));

        Assert.Null(await Stores.Credentials.FindByTokenHashAsync("hash-a"));
        Assert.Null(await Stores.Credentials.FindByTokenHashAsync("hash-b"));
        Assert.Equal(new AgentCredential("web-3", 3, At(20)), await Stores.Credentials.FindByTokenHashAsync("hash-c"));
    }

    [Fact]
    public async Task Servers_have_their_own_tokens_and_generations()
    {
        await Stores.Credentials.EnrollAsync("web-1", "hash-1", T0);
        await Stores.Credentials.EnrollAsync("web-1", "hash-1b", At(1));

        Assert.Equal(1, await Stores.Credentials.EnrollAsync("web-2", "hash-2", At(2)));

        Assert.Equal(new AgentCredential("web-1", 2, At(1)), await Stores.Credentials.FindByTokenHashAsync("hash-1b"));
        Assert.Equal(new AgentCredential("web-2", 1, At(2)), await Stores.Credentials.FindByTokenHashAsync("hash-2"));
    }

    [Fact]
    public async Task Revoke_makes_the_token_unknown_and_says_whether_there_was_one_to_revoke()
    {
        await Stores.Credentials.EnrollAsync("web-3", "hash-a", T0);

        Assert.True(await Stores.Credentials.RevokeAsync("web-3"));
        Assert.False(await Stores.Credentials.RevokeAsync("web-3"));
        Assert.False(await Stores.Credentials.RevokeAsync("never-enrolled"));

        Assert.Null(await Stores.Credentials.FindByTokenHashAsync("hash-a"));
    }

    [Fact]
    public async Task Enrolling_after_a_revoke_continues_the_generation()
    {
        await Stores.Credentials.EnrollAsync("web-3", "hash-a", T0);
        await Stores.Credentials.RevokeAsync("web-3");

        var generation = await Stores.Credentials.EnrollAsync("web-3", "hash-b", At(5));

        Assert.Equal(2, generation);
        Assert.Equal(new AgentCredential("web-3", 2, At(5)), await Stores.Credentials.FindByTokenHashAsync("hash-b"));
    }

    [Fact]
    public async Task An_unknown_token_is_null()
    {
        await Stores.Credentials.EnrollAsync("web-3", "hash-a", T0);

        Assert.Null(await Stores.Credentials.FindByTokenHashAsync("hash-unknown"));
    }

    [Fact]
    public async Task A_token_hash_bound_to_another_server_is_refused()
    {
        await Stores.Credentials.EnrollAsync("web-1", "hash-a", T0);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Stores.Credentials.EnrollAsync("web-2", "hash-a", At(1)));

        Assert.Equal(new AgentCredential("web-1", 1, T0), await Stores.Credentials.FindByTokenHashAsync("hash-a"));
    }
}
