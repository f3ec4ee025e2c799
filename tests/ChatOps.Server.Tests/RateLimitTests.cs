using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary><c>ratelimit:{user_id}:{endpoint}</c> on the REST API (429 + Retry-After), sign-in, and chat commands (a polite reply).</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly ChatOpsApp _app = new(new Dictionary<string, string?>
    {
        ["ChatOps:RateLimits:ApiPerMinute"] = "3",
        ["ChatOps:RateLimits:LoginPerMinute"] = "2",
        ["ChatOps:RateLimits:CommandsPerMinute"] = "2",
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_api_answers_429_with_retry_after_per_user_and_endpoint()
    {
        await _app.CreateUserAsync("ursula", Roles.Viewer);
        using var admin = _app.AdminClient();
        using var other = _app.KeyClient(await _app.CreateKeyAsync("ursula"));

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await admin.GetAsync("/api/servers");
            answers.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(retryAfter, 1, 60);
                Assert.Equal("rate_limited", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
            }
        }

        using var otherEndpoint = await admin.GetAsync("/api/commands");
        using var otherUser = await other.GetAsync("/api/servers");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(HttpStatusCode.OK, otherEndpoint.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherUser.StatusCode);
    }

    [Fact]
    public async Task Sign_in_attempts_are_throttled_per_account_even_with_the_right_password()
    {
        using var client = _app.Anonymous();
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "guess-number-" + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var throttled = await client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = ChatOpsApp.AdminPassword });

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.Contains("Retry-After"));
        Assert.False(throttled.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Chat_commands_over_the_budget_get_a_polite_reply_and_do_nothing()
    {
        await _app.CreateUserAsync("chatty", Roles.Operator);
        using var chat = _app.KeyClient(await _app.CreateKeyAsync("chatty"));

        var replies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await chat.PostAsJsonAsync("/api/chat/messages", new { text = "whoami" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            replies.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("text").GetString()!);
        }

        Assert.StartsWith("You are Chatty", replies[0]);
        Assert.StartsWith("You are Chatty", replies[1]);
        Assert.Contains("2 commands a minute", replies[2]);
        Assert.Contains("Please try again in", replies[2]);
        Assert.DoesNotContain("You are", replies[2]);
    }
}
