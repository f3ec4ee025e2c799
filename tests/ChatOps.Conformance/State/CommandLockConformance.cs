using ChatOps.Core.Ports;

namespace ChatOps.Conformance.State;

/// <summary>What every <see cref="ICommandLock"/> must do. Subclass once per adapter.</summary>
public abstract class CommandLockConformance : ExpiringStateConformance, IAsyncLifetime
{
    protected ICommandLock Lock { get; private set; } = null!;

    protected abstract Task<ICommandLock> CreateLockAsync();

    public async Task InitializeAsync() => Lock = await CreateLockAsync();

    public Task DisposeAsync() => StateDisposal.DisposeAsync(Lock);

    [Fact]
    public async Task A_free_lock_is_granted_then_busy_until_released()
    {
        var server = NewId("srv");

        var lease = await Lock.TryAcquireAsync(server, "router-a", "restart", LongTtl);
        var refused = await Lock.TryAcquireAsync(server, "router-b", "deploy", LongTtl);
        var released = await Lock.ReleaseAsync(lease!);
        var next = await Lock.TryAcquireAsync(server, "router-b", "deploy", LongTtl);

        Assert.NotNull(lease);
        Assert.Equal(server, lease.ServerId);
        Assert.Equal("router-a", lease.OwnerId);
        Assert.True(lease.FencingToken > 0);
        Assert.Null(refused);
        Assert.True(released);
        Assert.NotNull(next);
        Assert.True(next.FencingToken > lease.FencingToken);
    }

    [Fact]
    public async Task Only_the_exact_lease_releases_the_lock()
    {
        var server = NewId("srv");
        var lease = (await Lock.TryAcquireAsync(server, "router-a", "restart", LongTtl))!;

        Assert.False(await Lock.ReleaseAsync(lease with { OwnerId = "router-b" }));
        Assert.False(await Lock.ReleaseAsync(lease with { FencingToken = lease.FencingToken + 1 }));
        Assert.False(await Lock.ReleaseAsync(lease with { FencingToken = lease.FencingToken - 1 }));
        Assert.False(await Lock.ReleaseAsync(lease with { ServerId = NewId("srv") }));
        Assert.Equal("router-a", (await Lock.GetHolderAsync(server))?.OwnerId);

        Assert.True(await Lock.ReleaseAsync(lease));
        Assert.False(await Lock.ReleaseAsync(lease));
        Assert.Null(await Lock.GetHolderAsync(server));
    }

    [Fact]
    public async Task Renewing_extends_the_lease_past_its_first_ttl()
    {
        var server = NewId("srv");
        var lease = (await Lock.TryAcquireAsync(server, "router-a", "restart", ShortTtl))!;

        Assert.True(await Lock.RenewAsync(lease, LongTtl));
        Assert.False(await Lock.RenewAsync(lease with { OwnerId = "router-b" }, LongTtl));
        Assert.False(await Lock.RenewAsync(lease with { FencingToken = lease.FencingToken + 1 }, LongTtl));
        await AdvancePastAsync(ShortTtl);

        Assert.Null(await Lock.TryAcquireAsync(server, "router-b", "deploy", LongTtl));
        var holder = await Lock.GetHolderAsync(server);
        Assert.Equal("router-a", holder?.OwnerId);
        Assert.Equal(lease.FencingToken, holder?.FencingToken);
        Assert.True(holder!.ExpiresAt > lease.ExpiresAt);
        Assert.True(await Lock.ReleaseAsync(lease));
    }

    [Fact]
    public async Task An_expired_lease_lets_another_owner_in_with_a_greater_token()
    {
        var server = NewId("srv");
        var stale = (await Lock.TryAcquireAsync(server, "router-a", "restart", ShortTtl))!;

        await AdvancePastAsync(ShortTtl);
        Assert.Null(await Lock.GetHolderAsync(server));
        var fresh = await Lock.TryAcquireAsync(server, "router-b", "deploy", LongTtl);

        Assert.NotNull(fresh);
        Assert.True(fresh.FencingToken > stale.FencingToken);
        Assert.False(await Lock.RenewAsync(stale, LongTtl));
        Assert.False(await Lock.ReleaseAsync(stale));
        Assert.Equal("router-b", (await Lock.GetHolderAsync(server))?.OwnerId);
    }

    [Fact]
    public async Task An_expired_lease_cannot_be_renewed_even_when_nobody_took_the_lock()
    {
        var server = NewId("srv");
        var lease = (await Lock.TryAcquireAsync(server, "router-a", "restart", ShortTtl))!;

        await AdvancePastAsync(ShortTtl);

        Assert.False(await Lock.RenewAsync(lease, LongTtl));
        Assert.Null(await Lock.GetHolderAsync(server));
    }

    [Fact]
    public async Task Fencing_tokens_grow_strictly_across_a_hundred_grants()
    {
        var server = NewId("srv");
        var previous = 0L;
        for (var i = 0; i < 100; i++)
        {
            var lease = await Lock.TryAcquireAsync(server, $"owner-{i % 3}", "loop", LongTtl);
            Assert.NotNull(lease);
            Assert.True(lease.FencingToken > previous, $"grant {i}: token {lease.FencingToken} after {previous}");
            previous = lease.FencingToken;
            Assert.True(await Lock.ReleaseAsync(lease));
        }
    }

    [Fact]
    public async Task The_holder_says_who_holds_the_lock_for_what_and_until_when()
    {
        var server = NewId("srv");
        var before = Clock.GetUtcNow();
        var lease = (await Lock.TryAcquireAsync(server, "cmd-42", "alice: restart nginx", LongTtl))!;

        var holder = await Lock.GetHolderAsync(server);

        Assert.NotNull(holder);
        Assert.Equal("cmd-42", holder.OwnerId);
        Assert.Equal(lease.FencingToken, holder.FencingToken);
        Assert.Equal("alice: restart nginx", holder.Description);
        AssertNear(before, holder.AcquiredAt);
        AssertNear(holder.AcquiredAt + LongTtl, holder.ExpiresAt);
        AssertNear(lease.ExpiresAt, holder.ExpiresAt);
        Assert.Null(await Lock.GetHolderAsync(NewId("srv")));
    }

    [Fact]
    public async Task Of_many_concurrent_acquirers_exactly_one_wins()
    {
        var server = NewId("srv");

        var leases = await Task.WhenAll(Enumerable.Range(0, 16)
            .Select(i => Task.Run(() => Lock.TryAcquireAsync(server, $"router-{i}", "race", LongTtl))));

        var winner = Assert.Single(leases, l => l is not null);
        Assert.Equal(winner!.OwnerId, (await Lock.GetHolderAsync(server))?.OwnerId);
    }

    [Fact]
    public async Task Each_server_has_its_own_lock()
    {
        var first = await Lock.TryAcquireAsync(NewId("srv"), "router-a", "restart", LongTtl);
        var second = await Lock.TryAcquireAsync(NewId("srv"), "router-a", "restart", LongTtl);

        Assert.NotNull(first);
        Assert.NotNull(second);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_clearly()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Lock.TryAcquireAsync("", "router-a", "x", LongTtl));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Lock.TryAcquireAsync(NewId("srv"), " ", "x", LongTtl));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Lock.TryAcquireAsync(NewId("srv"), "router-a", "x", TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Lock.TryAcquireAsync(NewId("srv"), "router-a", "x", TimeSpan.FromSeconds(-1)));
    }
}
