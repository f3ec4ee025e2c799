using System.Net;
using System.Text.Json.Nodes;
using ChatOps.Teams.Internal;
using ChatOps.Teams.Tests.Support;
using WireMock.Server;

namespace ChatOps.Teams.Tests;

/// <summary>
/// Every way a Bot Framework token must be refused (reliability-security tests 4 and 5): the
/// request gets 401/403 and a log line, nothing is published, and nothing is sent anywhere. Each
/// refusal is followed by a valid message in the same conversation as a barrier: the bus and the
/// outbox keep order, so anything the refused request caused would show up before the barrier's.
/// </summary>
public sealed class MessagesEndpointAuthTests(TeamsHost host) : IClassFixture<TeamsHost>
{
    private const string Command = "run uptime on web-1";

    public static TheoryData<string, string> Refusals => new()
    {
        { "missing header", "no Authorization header" },
        { "not bearer", "not Bearer" },
        { "malformed", "malformed token" },
        { "wrong issuer", "wrong issuer" },
        { "wrong audience", "wrong audience" },
        { "expired beyond skew", "expired" },
        { "unknown key", "unknown signing key" },
        { "bad signature", "signature" },
        { "alg none", "algorithm 'none'" },
        { "HS256 with the public key", "algorithm 'HS256'" },
        { "key not endorsed for msteams", "not endorsed for channel 'msteams'" },
        { "no serviceurl claim", "no serviceurl claim" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_token_gets_401_a_log_line_and_neither_publishes_nor_sends(string refusal, string logged)
    {
        var conversation = NewConversation();
        var activity = host.Message(conversation, "refused-1", Command);

        using var response = await host.PostRawAsync(activity.ToJsonString(), Authorization(refusal));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(host.Logs.Lines, line => line.Contains("Teams request refused (401)", StringComparison.Ordinal) && line.Contains(logged, StringComparison.Ordinal));
        await AssertOnlyTheBarrierGotThroughAsync(conversation);
    }

    [Fact]
    public async Task A_serviceUrl_that_differs_from_the_tokens_claim_gets_403_and_the_attacker_host_gets_no_request()
    {
        using var attacker = WireMockServer.Start();
        var conversation = NewConversation();
        var activity = host.Message(conversation, "stolen-1", Command, serviceUrl: attacker.Url + "/");

        // A genuine token, issued for the real serviceUrl, replayed with an activity pointing elsewhere.
        using var response = await host.PostAsync(activity, host.ValidToken(host.BotFramework.ServiceUrl));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(host.Logs.Lines, line => line.Contains("Teams request refused (403)", StringComparison.Ordinal) && line.Contains(attacker.Url!, StringComparison.Ordinal));
        await AssertOnlyTheBarrierGotThroughAsync(conversation);
        Assert.Empty(attacker.LogEntries);
    }

    [Fact]
    public async Task A_token_expired_within_the_five_minute_skew_is_accepted()
    {
        var conversation = NewConversation();
        var claims = Jwt.Claims(FakeBotFramework.AppId, host.BotFramework.ServiceUrl, DateTimeOffset.UtcNow, expiresIn: TimeSpan.FromMinutes(-4));

        using var response = await host.PostAsync(host.Message(conversation, "skewed-1", Command), host.Key.Sign(claims));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requested = await host.CollectRequestedAsync(conversation, TeamsRequestIds.For(conversation, "skewed-1"));
        Assert.Single(requested);
    }

    [Fact]
    public async Task A_valid_token_for_another_tenant_is_refused_with_403_and_publishes_nothing()
    {
        var conversation = NewConversation();
        var activity = host.Message(conversation, "tenant-1", Command, tenant: "0badc0de-0000-0000-0000-000000000000");

        using var response = await host.PostAsync(activity, host.ValidToken());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(host.Logs.Lines, line => line.Contains("0badc0de-0000-0000-0000-000000000000", StringComparison.Ordinal));
        await AssertOnlyTheBarrierGotThroughAsync(conversation);
    }

    private string? Authorization(string refusal)
    {
        var now = DateTimeOffset.UtcNow;
        var serviceUrl = host.BotFramework.ServiceUrl;
        var claims = Jwt.Claims(FakeBotFramework.AppId, serviceUrl, now);
        return refusal switch
        {
            "missing header" => null,
            "not bearer" => "Basic " + Convert.ToBase64String("app:password"u8.ToArray()),
            "malformed" => "Bearer not.a.jwt-at-all",
            "wrong issuer" => "Bearer " + host.Key.Sign(Jwt.Claims(FakeBotFramework.AppId, serviceUrl, now, issuer: "https://evil.example.com")),
            "wrong audience" => "Bearer " + host.Key.Sign(Jwt.Claims("99999999-0000-0000-0000-000000000000", serviceUrl, now)),
            "expired beyond skew" => "Bearer " + host.Key.Sign(Jwt.Claims(FakeBotFramework.AppId, serviceUrl, now, expiresIn: TimeSpan.FromMinutes(-6))),
            "unknown key" => "Bearer " + host.StrangerKey.Sign(claims, kid: "key-nobody-published"),
            "bad signature" => "Bearer " + host.StrangerKey.Sign(claims, kid: host.Key.Kid),
            "alg none" => "Bearer " + Jwt.None(claims, host.Key.Kid),
            "HS256 with the public key" => "Bearer " + Jwt.Hs256(claims, host.Key.Kid, host.Key.PublicKeyBytes()),
            "key not endorsed for msteams" => "Bearer " + host.SkypeOnlyKey.Sign(claims),
            "no serviceurl claim" => "Bearer " + host.Key.Sign(Without(claims, "serviceurl")),
            _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, null),
        };
    }

    private async Task AssertOnlyTheBarrierGotThroughAsync(string conversation)
    {
        using var barrier = await host.PostAsync(host.Message(conversation, "barrier", Command), host.ValidToken());
        Assert.Equal(HttpStatusCode.OK, barrier.StatusCode);

        var requested = await host.CollectRequestedAsync(conversation, TeamsRequestIds.For(conversation, "barrier"));
        Assert.Equal([TeamsRequestIds.For(conversation, "barrier")], requested.Select(r => r.RequestId));

        var sent = await host.BotFramework.WaitForAsync(r => FakeBotFramework.Unescape(r).Contains(conversation, StringComparison.Ordinal));
        var only = Assert.Single(host.BotFramework.ConnectorRequests(conversation));
        Assert.EndsWith("/activities/barrier", FakeBotFramework.Unescape(only), StringComparison.Ordinal);
        Assert.Single(sent);
    }

    private static JsonObject Without(JsonObject claims, string name)
    {
        claims.Remove(name);
        return claims;
    }

    private static string NewConversation() => $"19:{Guid.NewGuid():N}@thread.tacv2;messageid=1700000000000";
}
