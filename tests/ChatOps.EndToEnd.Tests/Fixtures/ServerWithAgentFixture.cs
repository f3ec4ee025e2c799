namespace ChatOps.EndToEnd.Tests.Fixtures;

/// <summary>One chatops process with one real agent (server id <c>web-1</c>), shared by a test class.</summary>
public sealed class ServerWithAgentFixture : IAsyncLifetime
{
    public ChatOpsServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ChatOpsServer.StartAsync();
        await Server.StartAgentAsync("web-1");
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
