using ChatOps.Core.Ports;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Server.Tests.Sessions;

/// <summary>What every <see cref="ISessionStore"/> (in-process, Redis) must do; each implementation runs all of it.</summary>
public abstract class SessionStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(T0);

    protected abstract ISessionStore Store { get; }

    [Fact]
    public async Task A_session_is_found_until_it_expires()
    {
        await Store.CreateAsync(Session("u1", "s1", "h1", TimeSpan.FromHours(1)));

        Assert.Equal("h1", (await Store.GetAsync("u1", "s1"))?.TokenHash);
        Assert.Null(await Store.GetAsync("u1", "nope"));
        Assert.Null(await Store.GetAsync("u2", "s1"));
        Time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await Store.GetAsync("u1", "s1"));
    }

    [Fact]
    public async Task Rotation_needs_the_current_token_and_a_reused_one_ends_the_session()
    {
        await Store.CreateAsync(Session("u1", "s1", "h1", TimeSpan.FromHours(1)));
        Time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(RotationOutcome.Rotated, await Store.RotateAsync("u1", "s1", "h1", "h2", Time.GetUtcNow()));
        var rotated = await Store.GetAsync("u1", "s1");
        Assert.Equal(("h2", Time.GetUtcNow(), T0 + TimeSpan.FromHours(1)), (rotated!.TokenHash, rotated.LastUsedAt, rotated.ExpiresAt));

        Assert.Equal(RotationOutcome.Reused, await Store.RotateAsync("u1", "s1", "h1", "h3", Time.GetUtcNow()));
        Assert.Null(await Store.GetAsync("u1", "s1"));
        Assert.Equal(RotationOutcome.Unknown, await Store.RotateAsync("u1", "s1", "h2", "h4", Time.GetUtcNow()));
    }

    [Fact]
    public async Task Of_racing_rotations_with_one_token_exactly_one_wins()
    {
        await Store.CreateAsync(Session("u1", "s1", "h1", TimeSpan.FromHours(1)));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Store.RotateAsync("u1", "s1", "h1", "new" + i, T0)));

        Assert.Single(outcomes, o => o == RotationOutcome.Rotated);
    }

    [Fact]
    public async Task Sessions_are_listed_oldest_first_without_expired_ones_and_can_be_revoked()
    {
        await Store.CreateAsync(Session("u1", "old", "h1", TimeSpan.FromMinutes(30)));
        Time.Advance(TimeSpan.FromMinutes(1));
        await Store.CreateAsync(Session("u1", "mid", "h2", TimeSpan.FromHours(2)));
        Time.Advance(TimeSpan.FromMinutes(1));
        await Store.CreateAsync(Session("u1", "new", "h3", TimeSpan.FromHours(2)));
        await Store.CreateAsync(Session("u2", "other", "h4", TimeSpan.FromHours(2)));

        Assert.Equal(["old", "mid", "new"], (await Store.ListAsync("u1")).Select(s => s.Id));
        Time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(["mid", "new"], (await Store.ListAsync("u1")).Select(s => s.Id));
        Assert.True(await Store.RevokeAsync("u1", "mid"));
        Assert.False(await Store.RevokeAsync("u1", "mid"));
        Assert.Equal(1, await Store.RevokeAllAsync("u1"));
        Assert.Empty(await Store.ListAsync("u1"));
        Assert.NotNull(await Store.GetAsync("u2", "other"));
    }

    private RefreshSession Session(string user, string id, string hash, TimeSpan lifetime) =>
        new(id, user, hash, Time.GetUtcNow(), Time.GetUtcNow() + lifetime, Time.GetUtcNow(), "test client");
}
