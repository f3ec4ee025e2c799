using ChatOps.Core.Ports;

namespace ChatOps.Conformance.State;

/// <summary>What every <see cref="IAgentRegistry"/> must do. Subclass once per adapter.</summary>
public abstract class AgentRegistryConformance : ExpiringStateConformance, IAsyncLifetime
{
    protected IAgentRegistry Registry { get; private set; } = null!;

    protected abstract Task<IAgentRegistry> CreateRegistryAsync();

    public async Task InitializeAsync() => Registry = await CreateRegistryAsync();

    public Task DisposeAsync() => StateDisposal.DisposeAsync(Registry);

    [Fact]
    public async Task A_registered_connection_is_returned_as_it_was_given()
    {
        var connection = Connection(NewId("srv"), "conn-1");

        await Registry.RegisterAsync(connection, LongTtl);
        var found = await Registry.GetAsync(connection.ServerId);

        Assert.NotNull(found);
        Assert.Equal(connection.ServerId, found.ServerId);
        Assert.Equal(connection.NodeId, found.NodeId);
        Assert.Equal(connection.ConnectionId, found.ConnectionId);
        Assert.Equal(connection.Since, found.Since);
        Assert.Equal(connection.Version, found.Version);
        Assert.Equal(connection.Capabilities, found.Capabilities);
        Assert.Null(await Registry.GetAsync(NewId("srv")));
    }

    [Fact]
    public async Task Registering_again_replaces_the_connection()
    {
        var server = NewId("srv");
        await Registry.RegisterAsync(Connection(server, "conn-1"), LongTtl);

        await Registry.RegisterAsync(Connection(server, "conn-2") with { NodeId = "gateway-2" }, LongTtl);

        var found = await Registry.GetAsync(server);
        Assert.Equal("conn-2", found?.ConnectionId);
        Assert.Equal("gateway-2", found?.NodeId);
    }

    [Fact]
    public async Task Refresh_extends_only_the_current_connection()
    {
        var server = NewId("srv");
        await Registry.RegisterAsync(Connection(server, "conn-1"), ShortTtl);

        Assert.False(await Registry.RefreshAsync(server, "conn-old", LongTtl));
        Assert.True(await Registry.RefreshAsync(server, "conn-1", LongTtl));
        await AdvancePastAsync(ShortTtl);

        Assert.Equal("conn-1", (await Registry.GetAsync(server))?.ConnectionId);
        Assert.False(await Registry.RefreshAsync(NewId("srv"), "conn-1", LongTtl));
    }

    [Fact]
    public async Task Remove_only_removes_the_connection_it_names()
    {
        var server = NewId("srv");
        await Registry.RegisterAsync(Connection(server, "conn-1"), LongTtl);
        await Registry.RegisterAsync(Connection(server, "conn-2"), LongTtl);

        Assert.False(await Registry.RemoveAsync(server, "conn-1"));
        Assert.Equal("conn-2", (await Registry.GetAsync(server))?.ConnectionId);
        Assert.True(await Registry.RemoveAsync(server, "conn-2"));
        Assert.Null(await Registry.GetAsync(server));
        Assert.False(await Registry.RemoveAsync(server, "conn-2"));
    }

    [Fact]
    public async Task A_connection_not_refreshed_within_its_ttl_is_gone()
    {
        var expiring = Connection(NewId("srv"), "conn-1");
        var lasting = Connection(NewId("srv"), "conn-9");
        await Registry.RegisterAsync(expiring, ShortTtl);
        await Registry.RegisterAsync(lasting, LongTtl);

        await AdvancePastAsync(ShortTtl);

        Assert.Null(await Registry.GetAsync(expiring.ServerId));
        Assert.False(await Registry.RefreshAsync(expiring.ServerId, "conn-1", LongTtl));
        var listed = (await Registry.ListAsync()).Select(c => c.ServerId).ToList();
        Assert.DoesNotContain(expiring.ServerId, listed);
        Assert.Contains(lasting.ServerId, listed);
    }

    [Fact]
    public async Task List_returns_every_live_connection()
    {
        var servers = Enumerable.Range(0, 3).Select(_ => NewId("srv")).ToList();
        foreach (var server in servers)
        {
            await Registry.RegisterAsync(Connection(server, "conn-" + server), LongTtl);
        }

        var listed = await Registry.ListAsync();

        var ours = listed.Where(c => servers.Contains(c.ServerId)).ToList();
        Assert.Equal(servers.Order(StringComparer.Ordinal), ours.Select(c => c.ServerId).Order(StringComparer.Ordinal));
        Assert.All(ours, c => Assert.Equal("conn-" + c.ServerId, c.ConnectionId));
    }

    [Fact]
    public async Task Bad_arguments_are_refused_clearly()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Registry.RegisterAsync(Connection(NewId("srv"), "conn-1"), TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Registry.RegisterAsync(Connection("", "conn-1"), LongTtl));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Registry.RefreshAsync(NewId("srv"), "", LongTtl));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Registry.GetAsync(" "));
    }

    protected AgentConnection Connection(string serverId, string connectionId) => new(
        serverId,
        "gateway-1",
        connectionId,
        // Whole milliseconds: what any store keeps exactly.
        DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds()),
        "1.4.2",
        ["exec", "metrics"]);
}
