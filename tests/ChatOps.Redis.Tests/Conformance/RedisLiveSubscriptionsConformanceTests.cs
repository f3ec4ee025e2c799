using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests.Conformance;

public sealed class RedisLiveSubscriptionsConformanceTests(RedisServerFixture redis) : LiveSubscriptionsConformance, IClassFixture<RedisServerFixture>
{
    private readonly RedisStateConnection _connection = redis.Connect();

    protected override TimeSpan ShortTtl => TimeSpan.FromMilliseconds(300);

    protected override Task<ILiveSubscriptions> CreateSubscriptionsAsync() => Task.FromResult<ILiveSubscriptions>(new RedisLiveSubscriptions(_connection));

    protected override Task AdvancePastAsync(TimeSpan span) => RedisExpiry.AdvancePastAsync(_connection, span);
}
