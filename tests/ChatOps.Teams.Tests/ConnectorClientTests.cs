using System.Text.Json.Nodes;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;
using ChatOps.Teams.Tests.Support;
using WireMock.Server;

namespace ChatOps.Teams.Tests;

/// <summary>The connector client: token handling, the retry table Teams asks for, and where the token may go.</summary>
public sealed class ConnectorClientTests
{
    private const string Conversation = "19:abc@thread.tacv2;messageid=1";

    [Fact]
    public async Task The_token_is_fetched_once_reused_and_renewed_five_minutes_before_it_expires()
    {
        await using var rig = new ConnectorRig();

        await Send(rig);
        await Send(rig);
        rig.Time.Advance(TimeSpan.FromMinutes(54));
        await Send(rig);
        Assert.Equal(1, rig.BotFramework.TokenRequests);

        rig.Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await Send(rig);
        Assert.Equal(2, rig.BotFramework.TokenRequests);

        var form = rig.BotFramework.Server.LogEntries.First(e => e.RequestMessage.Path.EndsWith("/token", StringComparison.Ordinal)).RequestMessage.Body;
        Assert.Contains("client_secret=" + FakeBotFramework.AppPassword, form, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_waits_as_long_as_Retry_After_says_and_then_delivers_once()
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((429, "7"));

        var id = await Send(rig);

        Assert.StartsWith("bot-activity-", id, StringComparison.Ordinal);
        Assert.Equal([(TimeSpan.FromSeconds(7), PauseReason.Retry)], rig.Pause.Waits);
        Assert.Equal([429, 200], Statuses(rig.BotFramework.Server));
    }

    [Theory]
    [InlineData(412)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Throttling_and_gateway_failures_are_retried_after_a_jittered_backoff(int status)
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((status, null));

        await Send(rig);

        var (delay, reason) = Assert.Single(rig.Pause.Waits);
        Assert.Equal(PauseReason.Retry, reason);
        Assert.InRange(delay, TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2.4));
        Assert.Equal([status, 200], Statuses(rig.BotFramework.Server));
    }

    [Fact]
    public async Task Repeated_throttling_backs_off_exponentially_and_finally_gives_up_with_a_clear_error()
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((429, null), (429, null), (429, null), (429, null), (429, null));

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => Send(rig));

        Assert.Equal("gave_up", error.ErrorCode);
        Assert.Equal(5, Statuses(rig.BotFramework.Server).Count);
        var delays = rig.Pause.Waits.Select(w => w.Delay.TotalSeconds).ToList();
        Assert.Equal(4, delays.Count);
        Assert.InRange(delays[0], 1.6, 2.4);
        Assert.InRange(delays[1], 3.2, 4.8);
        Assert.InRange(delays[2], 6.4, 9.6);
        Assert.InRange(delays[3], 12.8, 19.2);
    }

    [Fact]
    public async Task A_refusal_is_final_at_once()
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((400, null));

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => Send(rig));

        Assert.Equal("http_400", error.ErrorCode);
        Assert.Equal("teams", error.Platform);
        Assert.Empty(rig.Pause.Waits);
        Assert.Equal([400], Statuses(rig.BotFramework.Server));
    }

    [Fact]
    public async Task A_401_from_the_connector_gets_a_fresh_token_and_one_more_try()
    {
        await using var rig = new ConnectorRig();
        rig.BotFramework.Script((401, null));

        await Send(rig);

        Assert.Equal(2, rig.BotFramework.TokenRequests);
        Assert.Equal([401, 200], Statuses(rig.BotFramework.Server));
    }

    [Fact]
    public async Task The_token_never_goes_to_a_service_url_that_no_validated_activity_brought()
    {
        await using var rig = new ConnectorRig();
        using var attacker = WireMockServer.Start();

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() =>
            rig.Connector.SendActivityAsync(attacker.Url + "/", Conversation, TeamsChatClient.Message(rig.Thread(Conversation), "hi")));

        Assert.Equal("untrusted_service_url", error.ErrorCode);
        Assert.Empty(attacker.LogEntries);
        Assert.Equal(0, rig.BotFramework.TokenRequests);
    }

    [Fact]
    public async Task An_allowed_service_url_prefix_is_trusted_without_an_activity_but_a_look_alike_host_is_not()
    {
        await using var rig = new ConnectorRig(o => o.AllowedServiceUrls.Add("https://smba.trafficmanager.net/"));

        Assert.True(rig.ServiceUrls.IsTrusted("https://smba.trafficmanager.net/emea/", out _));
        Assert.True(rig.ServiceUrls.IsTrusted("HTTPS://SMBA.trafficmanager.net/amer", out var normalized));
        Assert.Equal("https://smba.trafficmanager.net/amer/", normalized);
        Assert.False(rig.ServiceUrls.IsTrusted("https://smba.trafficmanager.net.evil.example/emea/", out _));
        Assert.False(rig.ServiceUrls.IsTrusted("https://smba.trafficmanager.net:8443/emea/", out _));
        Assert.False(rig.ServiceUrls.IsTrusted("http://smba.trafficmanager.net/emea/", out _));
        Assert.False(rig.ServiceUrls.IsTrusted("https://user@smba.trafficmanager.net/emea/", out _));
    }

    [Fact]
    public async Task Creating_a_conversation_returns_the_new_thread_and_its_first_activity()
    {
        await using var rig = new ConnectorRig();

        var created = await rig.Connector.CreateConversationAsync(rig.BotFramework.ServiceUrl, new JsonObject { ["isGroup"] = true });

        Assert.Equal("19:alerts@thread.tacv2;messageid=777", created.Id);
        Assert.Equal("777", created.ActivityId);
    }

    private static Task<string?> Send(ConnectorRig rig) =>
        rig.Connector.SendActivityAsync(rig.BotFramework.ServiceUrl, Conversation, TeamsChatClient.Message(rig.Thread(Conversation), "hello"), "user-msg-1");

    private static List<int> Statuses(WireMockServer server) =>
        server.LogEntries.Where(e => e.RequestMessage.Path.StartsWith("/v3/", StringComparison.Ordinal)).Select(e => (int)e.ResponseMessage.StatusCode!).ToList();
}
