using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Sqlite.Internal;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Embedded.Tests.Store;

/// <summary>
/// The agent-token lookup behind every agent connection: shared queries for concurrent lookups and a short
/// cache of valid tokens, which must never let a revoked or replaced token in through this process.
/// </summary>
public sealed class SqliteAgentCredentialLookupTests : IAsyncLifetime
{
    private SqliteTestDatabase _database = null!;
    private SqliteAgentCredentialStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await SqliteTestDatabase.CreateAsync();
        _store = new SqliteAgentCredentialStore(_database.Connections, _database.Time);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_token_found_valid_is_refused_at_once_after_a_revoke()
    {
        await _store.EnrollAsync("web-3", "hash-a", T0);
        Assert.NotNull(await _store.FindByTokenHashAsync("hash-a"));

        await _store.RevokeAsync("web-3");

        Assert.Null(await _store.FindByTokenHashAsync("hash-a"));
    }

    [Fact]
    public async Task A_token_found_valid_is_refused_at_once_after_the_server_is_enrolled_again()
    {
        await _store.EnrollAsync("web-3", "hash-a", T0);
        Assert.NotNull(await _store.FindByTokenHashAsync("hash-a"));

        await _store.EnrollAsync("web-3", "hash-b", At(1));

        Assert.Null(await _store.FindByTokenHashAsync("hash-a"));
        Assert.Equal(new AgentCredential("web-3", 2, At(1)), await _store.FindByTokenHashAsync("hash-b"));
    }

    [Fact]
    public async Task An_unknown_token_is_not_remembered_as_unknown()
    {
        Assert.Null(await _store.FindByTokenHashAsync("hash-a"));

        await _store.EnrollAsync("web-3", "hash-a", T0);

        Assert.Equal(new AgentCredential("web-3", 1, T0), await _store.FindByTokenHashAsync("hash-a"));
    }

    [Fact]
    public async Task A_revoke_by_another_process_is_seen_once_the_verified_token_lifetime_has_passed()
    {
        await _store.EnrollAsync("web-3", "hash-a", T0);
        Assert.NotNull(await _store.FindByTokenHashAsync("hash-a"));
        var otherProcess = new SqliteAgentCredentialStore(_database.NewConnectionFactory(), _database.Time);

        Assert.True(await otherProcess.RevokeAsync("web-3"));
        Assert.Null(await otherProcess.FindByTokenHashAsync("hash-a"));
        // This process cannot know yet (the documented bound)...
        Assert.NotNull(await _store.FindByTokenHashAsync("hash-a"));

        _database.Time.Advance(SqliteAgentCredentialStore.VerifiedTokenLifetime);

        // ...and reads the store again once it is over.
        Assert.Null(await _store.FindByTokenHashAsync("hash-a"));
    }

    [Fact]
    public async Task Many_concurrent_lookups_each_get_the_answer_for_their_own_token()
    {
        const int servers = 600; // more than one shared query holds
        for (var i = 0; i < servers; i++) await _store.EnrollAsync($"web-{i}", $"hash-{i}", T0);
        await _store.RevokeAsync("web-7");

        var lookups = Enumerable.Range(0, servers + 50)
            .Select(i => Task.Run(() => _store.FindByTokenHashAsync($"hash-{i}")))
            .ToList();
        var answers = await Task.WhenAll(lookups).WaitAsync(TimeSpan.FromSeconds(30));

        for (var i = 0; i < answers.Length; i++)
        {
            if (i >= servers || i == 7) Assert.Null(answers[i]);
            else Assert.Equal($"web-{i}", answers[i]?.ServerId);
        }
    }

    [Fact]
    public void A_lookup_that_read_before_a_revoke_committed_is_not_remembered()
    {
        var tokens = new VerifiedAgentTokens(_database.Time, TimeSpan.FromSeconds(10));
        var epochBeforeRead = tokens.Epoch;

        tokens.Invalidate("web-3"); // the revoke commits while the lookup's read (of the old row) is in flight
        tokens.Keep([("hash-a", new AgentCredential("web-3", 1, T0))], epochBeforeRead);

        Assert.False(tokens.TryGet("hash-a", out _));
    }

    [Fact]
    public void Only_the_newest_token_of_a_server_is_kept()
    {
        var tokens = new VerifiedAgentTokens(_database.Time, TimeSpan.FromSeconds(10));
        tokens.Keep([("hash-a", new AgentCredential("web-3", 1, T0))], tokens.Epoch);
        tokens.Keep([("hash-b", new AgentCredential("web-3", 2, At(1)))], tokens.Epoch);

        Assert.False(tokens.TryGet("hash-a", out _));
        Assert.True(tokens.TryGet("hash-b", out var kept));
        Assert.Equal(2, kept!.Generation);
    }
}
