using System.Net.Http.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Teams;

/// <summary>
/// A real chatops process with Teams pointed at a <see cref="FakeTeamsService"/>, a real agent (web-1),
/// <c>run</c> made high-risk, and a second person: Bea, an operator and approver created and linked to
/// <c>teams:&lt;AAD object id&gt;</c> through the admin API (as an admin would).
/// </summary>
public sealed class TeamsApprovalFixture : IAsyncLifetime
{
    /// <summary>The requester: made admin by <c>ChatOps:Bootstrap:Admins=teams:&lt;aad&gt;</c>.</summary>
    public const string RequesterAad = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    /// <summary>The approver, linked through <c>POST /api/users/bea/identities</c>.</summary>
    public const string ApproverAad = "8b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e";

    public FakeTeamsService Teams { get; private set; } = null!;
    public ChatOpsServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Teams = new FakeTeamsService();
        Server = await ChatOpsServer.StartAsync(settings: Teams.Settings(RequesterAad));
        await Server.StartAgentAsync("web-1");

        await Ok(Server.Http.PutAsJsonAsync("/api/catalog/run/risk", new { risk = "high" }));
        await Ok(Server.Http.PostAsJsonAsync("/api/users", new { id = "bea", displayName = "Bea Approver", roles = new[] { "operator", "approver" } }));
        await Ok(Server.Http.PostAsJsonAsync("/api/users/bea/identities", new { identity = "teams:" + ApproverAad }));
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Teams.DisposeAsync();
    }
}
