using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Ports;
using ChatOps.Redis;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests.Sessions;

/// <summary>With <c>ChatOps:State=redis</c> the page's sessions live in Redis, so every web node sees a sign-in and a sign-out.</summary>
public sealed class RedisModeTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Two_nodes_sharing_redis_and_a_signing_key_share_sessions_and_their_revocation()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ChatOps:State"] = "redis",
            ["ChatOps:Redis:Configuration"] = $"127.0.0.1:{redis.Port}",
            ["ChatOps:Redis:KeyPrefix"] = "node-test-" + Guid.NewGuid().ToString("N")[..8] + ":",
            ["ChatOps:Auth:SigningKey"] = "a-shared-signing-key-of-at-least-32-characters",
        };
        await using var nodeA = new ChatOpsApp(settings);
        await using var nodeB = new ChatOpsApp(settings);
        Assert.IsType<RedisSessionStore>(nodeA.Get<ISessionStore>());

        using var client = nodeA.Anonymous();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = ChatOpsApp.AdminPassword, mode = "token" });
        var accessToken = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        using var onA = nodeA.KeyClient(accessToken);
        using var onB = nodeB.KeyClient(accessToken);

        using var before = await onB.GetAsync("/api/servers");
        using var logout = await onA.PostAsync("/api/auth/logout", null);
        using var after = await onB.GetAsync("/api/servers");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }
}
