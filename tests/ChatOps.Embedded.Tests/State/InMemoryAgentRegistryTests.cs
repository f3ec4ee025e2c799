using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Embedded.Tests.State;

public sealed class InMemoryAgentRegistryTests : AgentRegistryConformance
{
    private readonly FakeTimeProvider _time = new();

    protected override TimeProvider Clock => _time;

    protected override Task<IAgentRegistry> CreateRegistryAsync() => Task.FromResult<IAgentRegistry>(new InMemoryAgentRegistry(_time));

    protected override Task AdvancePastAsync(TimeSpan span)
    {
        _time.Advance(span + TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_refresh_counts_its_ttl_from_the_moment_of_the_refresh()
    {
        var ttl = TimeSpan.FromSeconds(30);
        await Registry.RegisterAsync(Connection("web-1", "conn-1"), ttl);

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await Registry.RefreshAsync("web-1", "conn-1", ttl));
        _time.Advance(ttl - TimeSpan.FromTicks(1));
        Assert.NotNull(await Registry.GetAsync("web-1"));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await Registry.GetAsync("web-1"));
    }

    [Fact]
    public async Task List_is_ordered_by_server_id()
    {
        foreach (var server in new[] { "web-3", "db-1", "web-10" })
        {
            await Registry.RegisterAsync(Connection(server, "c-" + server), TimeSpan.FromMinutes(1));
        }

        var listed = await Registry.ListAsync();

        Assert.Equal(["db-1", "web-10", "web-3"], listed.Select(c => c.ServerId));
    }

    [Fact]
    public async Task The_registry_keeps_its_own_copy_of_the_capabilities()
    {
        var capabilities = new List<string> { "exec" };
        await Registry.RegisterAsync(Connection("web-1", "conn-1") with { Capabilities = capabilities }, TimeSpan.FromMinutes(1));

        capabilities.Add("root-shell");

        Assert.Equal(["exec"], (await Registry.GetAsync("web-1"))!.Capabilities);
    }
}
