using ChatOps.Core.Domain;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Conformance.Store;

public abstract class ServerStoreConformanceTests : StoreConformanceTests
{
    [Fact]
    public async Task Upsert_then_get_returns_every_field()
    {
        var server = new Server("web-3", "Web 3 (eu)", ["role:web", "env:prod", "zone:eu-1"], T0);

        await Stores.Servers.UpsertAsync(server);

        AssertSameServer(server, await Stores.Servers.GetAsync("web-3"));
    }

    [Fact]
    public async Task A_server_without_name_or_tags_round_trips()
    {
        var server = new Server("db-1", null, [], T0);

        await Stores.Servers.UpsertAsync(server);

        AssertSameServer(server, await Stores.Servers.GetAsync("db-1"));
    }

    [Fact]
    public async Task Upsert_of_an_existing_server_updates_it_but_keeps_its_CreatedAt()
    {
        await Stores.Servers.UpsertAsync(new Server("web-3", "old", ["role:web"], T0));

        await Stores.Servers.UpsertAsync(new Server("web-3", "new", ["role:api", "env:prod"], At(3600)));

        AssertSameServer(new Server("web-3", "new", ["role:api", "env:prod"], T0), await Stores.Servers.GetAsync("web-3"));
        Assert.Single(await Stores.Servers.ListAsync());
    }

    [Fact]
    public async Task Get_of_an_unknown_server_is_null()
    {
        await Stores.Servers.UpsertAsync(new Server("web-1", null, [], T0));

        Assert.Null(await Stores.Servers.GetAsync("web-2"));
    }

    [Fact]
    public async Task List_is_ordered_by_id()
    {
        foreach (var id in new[] { "web-2", "app-1", "web-10", "db-1" })
        {
            await Stores.Servers.UpsertAsync(new Server(id, null, [], T0));
        }

        var ids = (await Stores.Servers.ListAsync()).Select(server => server.Id);

        Assert.Equal(["app-1", "db-1", "web-10", "web-2"], ids);
    }

    [Fact]
    public async Task Delete_removes_the_server_and_says_whether_there_was_one()
    {
        await Stores.Servers.UpsertAsync(new Server("web-1", null, [], T0));
        await Stores.Servers.UpsertAsync(new Server("web-2", null, [], T0));

        Assert.True(await Stores.Servers.DeleteAsync("web-1"));
        Assert.False(await Stores.Servers.DeleteAsync("web-1"));

        Assert.Null(await Stores.Servers.GetAsync("web-1"));
        Assert.Equal(["web-2"], (await Stores.Servers.ListAsync()).Select(server => server.Id));
    }
}
