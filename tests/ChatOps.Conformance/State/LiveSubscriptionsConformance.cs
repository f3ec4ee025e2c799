using ChatOps.Core.Ports;

namespace ChatOps.Conformance.State;

/// <summary>What every <see cref="ILiveSubscriptions"/> must do. Subclass once per adapter.</summary>
public abstract class LiveSubscriptionsConformance : ExpiringStateConformance, IAsyncLifetime
{
    protected ILiveSubscriptions Subscriptions { get; private set; } = null!;

    protected abstract Task<ILiveSubscriptions> CreateSubscriptionsAsync();

    public async Task InitializeAsync() => Subscriptions = await CreateSubscriptionsAsync();

    public Task DisposeAsync() => StateDisposal.DisposeAsync(Subscriptions);

    [Fact]
    public async Task Added_subscribers_are_listed_and_counted_per_server()
    {
        var web = NewId("web");
        var db = NewId("db");

        await Subscriptions.AddAsync(web, "page-b", LongTtl);
        await Subscriptions.AddAsync(web, "page-a", LongTtl);
        await Subscriptions.AddAsync(db, "page-a", LongTtl);

        Assert.Equal(["page-a", "page-b"], await Subscriptions.MembersAsync(web));
        Assert.Equal(2, await Subscriptions.CountAsync(web));
        Assert.Equal(["page-a"], await Subscriptions.MembersAsync(db));
        Assert.Empty(await Subscriptions.MembersAsync(NewId("nobody")));
        Assert.Equal(0, await Subscriptions.CountAsync(NewId("nobody")));
    }

    [Fact]
    public async Task Adding_again_renews_the_lease_without_a_second_membership()
    {
        var server = NewId("srv");
        await Subscriptions.AddAsync(server, "page-1", ShortTtl);

        await Subscriptions.AddAsync(server, "page-1", LongTtl);
        await AdvancePastAsync(ShortTtl);

        Assert.Equal(["page-1"], await Subscriptions.MembersAsync(server));
        Assert.Equal(1, await Subscriptions.CountAsync(server));
    }

    [Fact]
    public async Task A_removed_subscriber_is_gone_and_removing_twice_is_harmless()
    {
        var server = NewId("srv");
        await Subscriptions.AddAsync(server, "page-1", LongTtl);
        await Subscriptions.AddAsync(server, "page-2", LongTtl);

        await Subscriptions.RemoveAsync(server, "page-1");
        await Subscriptions.RemoveAsync(server, "page-1");
        await Subscriptions.RemoveAsync(NewId("srv"), "page-1");

        Assert.Equal(["page-2"], await Subscriptions.MembersAsync(server));
        await Subscriptions.RemoveAsync(server, "page-2");
        Assert.Equal(0, await Subscriptions.CountAsync(server));
    }

    [Fact]
    public async Task A_lease_nobody_renews_lapses_and_takes_only_its_own_member()
    {
        // The node holding page-dead died: nobody refreshes or removes it.
        var server = NewId("srv");
        await Subscriptions.AddAsync(server, "page-dead", ShortTtl);
        await Subscriptions.AddAsync(server, "page-alive", LongTtl);
        Assert.Equal(2, await Subscriptions.CountAsync(server));

        await AdvancePastAsync(ShortTtl);

        Assert.Equal(["page-alive"], await Subscriptions.MembersAsync(server));
        Assert.Equal(1, await Subscriptions.CountAsync(server));
    }

    [Fact]
    public async Task A_subscriber_that_lapsed_can_come_back()
    {
        var server = NewId("srv");
        await Subscriptions.AddAsync(server, "page-1", ShortTtl);
        await AdvancePastAsync(ShortTtl);
        Assert.Equal(0, await Subscriptions.CountAsync(server));

        await Subscriptions.AddAsync(server, "page-1", LongTtl);

        Assert.Equal(["page-1"], await Subscriptions.MembersAsync(server));
    }

    [Fact]
    public async Task Bad_arguments_are_refused_clearly()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Subscriptions.AddAsync("", "page", LongTtl));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Subscriptions.AddAsync("srv", " ", LongTtl));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Subscriptions.AddAsync("srv", "page", TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Subscriptions.RemoveAsync("srv", ""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Subscriptions.MembersAsync(""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Subscriptions.CountAsync(""));
    }
}
