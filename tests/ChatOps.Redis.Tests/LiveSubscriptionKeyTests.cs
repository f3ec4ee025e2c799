using ChatOps.Redis.Tests.Support;
using StackExchange.Redis;

namespace ChatOps.Redis.Tests;

/// <summary><c>ws:subscribers:{server_id}</c> in Redis: a set of client ids (sorted by lease expiry) under exactly the product's name, gone whole once every lease lapsed.</summary>
public sealed class LiveSubscriptionKeyTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task The_key_is_the_product_name_and_holds_the_client_ids_scored_by_lease_expiry()
    {
        var connection = redis.Connect(keyPrefix: string.Empty);
        var subscriptions = new RedisLiveSubscriptions(connection);
        var server = TestData.NewId("web");

        await subscriptions.AddAsync(server, "page-1", TimeSpan.FromMinutes(1));
        await subscriptions.AddAsync(server, "page-2", TimeSpan.FromMinutes(2));

        var db = connection.Multiplexer!.GetDatabase();
        var key = "ws:subscribers:" + server;
        Assert.Equal(RedisType.SortedSet, await db.KeyTypeAsync(key));
        var members = await db.SortedSetRangeByRankWithScoresAsync(key);
        Assert.Equal(["page-1", "page-2"], members.Select(m => m.Element.ToString()));
        Assert.InRange(members[1].Score - members[0].Score, 59_000, 61_000);
        // The key lives as long as its newest lease, not its first.
        Assert.InRange(await db.KeyTimeToLiveAsync(key) ?? TimeSpan.Zero, TimeSpan.FromSeconds(110), TimeSpan.FromSeconds(120));
        await db.KeyDeleteAsync(key);
    }

    [Fact]
    public async Task A_set_whose_every_lease_lapsed_is_removed_by_redis()
    {
        var connection = redis.Connect(keyPrefix: string.Empty);
        var server = TestData.NewId("web");
        await new RedisLiveSubscriptions(connection).AddAsync(server, "page-1", TimeSpan.FromMilliseconds(200));

        await RedisExpiry.AdvancePastAsync(connection, TimeSpan.FromMilliseconds(200));

        Assert.False(await connection.Multiplexer!.GetDatabase().KeyExistsAsync("ws:subscribers:" + server));
    }
}
