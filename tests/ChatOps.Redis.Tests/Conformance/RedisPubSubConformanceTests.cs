using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests.Conformance;

/// <summary>Each client is its own connection (its own multiplexer), as each would be its own process.</summary>
public sealed class RedisPubSubConformanceTests(RedisServerFixture redis) : PubSubConformance, IClassFixture<RedisServerFixture>
{
    private readonly string _keyPrefix = RedisServerFixture.NewKeyPrefix();

    protected override async Task<IPubSub> CreateClientAsync()
    {
        var connection = redis.Connect(_keyPrefix);
        await connection.ConnectAsync();
        return new RedisPubSub(connection);
    }
}
