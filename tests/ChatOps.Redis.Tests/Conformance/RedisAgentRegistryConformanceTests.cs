using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests.Conformance;

public sealed class RedisAgentRegistryConformanceTests(RedisServerFixture redis) : AgentRegistryConformance, IClassFixture<RedisServerFixture>
{
    private readonly RedisStateConnection _connection = redis.Connect();

    protected override TimeSpan ShortTtl => TimeSpan.FromMilliseconds(400);

    protected override Task<IAgentRegistry> CreateRegistryAsync() => Task.FromResult<IAgentRegistry>(new RedisAgentRegistry(_connection));

    protected override Task AdvancePastAsync(TimeSpan span) => RedisExpiry.AdvancePastAsync(_connection, span);
}
