using ChatOps.Core.Ports;
using ChatOps.Redis;
using ChatOps.Server.Tests.Support;
using StackExchange.Redis;

namespace ChatOps.Server.Tests.Sessions;

/// <summary>With <c>ChatOps:State=redis</c> a live page's memberships are in Redis at <c>ws:subscribers:{server_id}</c>, where every web node sees them.</summary>
public sealed class LiveSubscriptionRedisModeTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_page_on_one_node_is_seen_watching_from_another_and_gone_when_it_leaves()
    {
        var prefix = "live-test-" + Guid.NewGuid().ToString("N")[..8] + ":";
        var settings = new Dictionary<string, string?>
        {
            ["ChatOps:State"] = "redis",
            ["ChatOps:Redis:Configuration"] = $"127.0.0.1:{redis.Port}",
            ["ChatOps:Redis:KeyPrefix"] = prefix,
        };
        await using var nodeA = new ChatOpsApp(settings);
        await using var nodeB = new ChatOpsApp(settings);
        Assert.IsType<RedisLiveSubscriptions>(nodeA.Get<ILiveSubscriptions>());
        var page = await nodeA.SignInAsync("admin");

        var response = await page.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/live?servers=web-5"), HttpCompletionOption.ResponseHeadersRead);
        var stream = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await stream.ReadLineAsync());

        var subscriber = Assert.Single(await nodeB.Get<ILiveSubscriptions>().MembersAsync("web-5"));
        using var multiplexer = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var key = prefix + "ws:subscribers:web-5";
        Assert.NotNull(await multiplexer.GetDatabase().SortedSetScoreAsync(key, subscriber));

        stream.Dispose();
        response.Dispose();
        // Wait on the removal itself: Redis's keyspace would need notifications configured, so watch the key with a bounded poll.
        var gone = await WaitUntilAsync(async () => !await multiplexer.GetDatabase().KeyExistsAsync(key));
        Assert.True(gone, $"{key} still holds {subscriber} after the page left");
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(10);
        }

        return false;
    }
}
