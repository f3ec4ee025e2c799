using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>
/// The gateway remembers agent tokens it found valid (so a reconnecting fleet does not read each one again);
/// removing or re-enrolling a server through the API must still refuse the old token on its very next
/// connection. A request to <c>/agents/connect</c> without the WebSocket upgrade shows the token check
/// alone: 400 (token accepted, upgrade missing) or 401 (token refused).
/// </summary>
public sealed class AgentTokenRevocationTests : IAsyncLifetime
{
    private readonly ChatOpsApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_token_just_accepted_is_refused_on_the_next_connection_once_its_server_is_removed()
    {
        var token = await EnrolAsync("web-7");
        Assert.Equal(HttpStatusCode.BadRequest, await ConnectStatusAsync(token));

        using var removed = await _app.AdminClient().DeleteAsync("/api/servers/web-7");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectStatusAsync(token));
    }

    [Fact]
    public async Task A_token_just_accepted_is_refused_on_the_next_connection_once_its_server_is_enrolled_again()
    {
        var first = await EnrolAsync("web-8");
        Assert.Equal(HttpStatusCode.BadRequest, await ConnectStatusAsync(first));

        var second = await EnrolAsync("web-8");

        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectStatusAsync(first));
        Assert.Equal(HttpStatusCode.BadRequest, await ConnectStatusAsync(second));
    }

    private async Task<string> EnrolAsync(string id)
    {
        using var response = await _app.AdminClient().PostAsJsonAsync("/api/servers", new { id });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    private async Task<HttpStatusCode> ConnectStatusAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/agents/connect");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await _app.Anonymous().SendAsync(request);
        return response.StatusCode;
    }
}
