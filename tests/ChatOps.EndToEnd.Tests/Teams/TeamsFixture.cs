using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Teams;

/// <summary>A real chatops process with its Teams adapter pointed at a <see cref="FakeTeamsService"/>, and a real agent (web-1).</summary>
public sealed class TeamsFixture : IAsyncLifetime
{
    /// <summary>The AAD object id made admin by <c>ChatOps:Bootstrap:Admins=teams:&lt;aad&gt;</c>.</summary>
    public const string AdminAad = "5e8f0c7a-1b2d-4e3f-8a9b-0c1d2e3f4a5b";

    public FakeTeamsService Teams { get; private set; } = null!;
    public ChatOpsServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Teams = new FakeTeamsService();
        Server = await ChatOpsServer.StartAsync(settings: Teams.Settings(AdminAad));
        await Server.StartAgentAsync("web-1");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Teams.DisposeAsync();
    }
}
