using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using ChatOps.Redis;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests.Sessions;

public sealed class InMemorySessionStoreTests : SessionStoreContract
{
    public InMemorySessionStoreTests() => Store = new InMemorySessionStore(Time);

    protected override ISessionStore Store { get; }
}

/// <summary>The same contract on a real redis-server: <c>session:{user_id}</c> hashes, a CAS script for rotation.</summary>
public sealed class RedisSessionStoreTests(RedisServer redis) : SessionStoreContract, IClassFixture<RedisServer>
{
    private ISessionStore? _store;

    protected override ISessionStore Store => _store ??= new RedisSessionStore(redis.Connect(), Time);

    [Fact]
    public async Task Sessions_live_in_the_session_key_of_their_user_and_it_expires_with_the_last_one()
    {
        var connection = redis.Connect();
        var store = new RedisSessionStore(connection, Time);
        await store.CreateAsync(new RefreshSession("s1", "alice", "h1", T0, T0 + TimeSpan.FromMinutes(10), T0, null));
        await store.CreateAsync(new RefreshSession("s2", "alice", "h2", T0, T0 + TimeSpan.FromHours(2), T0, null));

        var multiplexer = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var keys = multiplexer.GetServer($"127.0.0.1:{redis.Port}").Keys(pattern: "*session:alice").Select(k => k.ToString()).ToList();
        var ttl = await multiplexer.GetDatabase().KeyTimeToLiveAsync(keys.Single());
        await multiplexer.DisposeAsync();

        Assert.EndsWith(":session:alice", keys.Single());
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(110), TimeSpan.FromHours(2));
    }
}
