using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests.Conformance;

public sealed class RedisRateLimiterConformanceTests(RedisServerFixture redis) : RateLimiterConformance, IClassFixture<RedisServerFixture>
{
    private readonly RedisStateConnection _connection = redis.Connect();

    protected override TimeSpan Window => TimeSpan.FromSeconds(2);

    protected override TimeSpan ShortTtl => TimeSpan.FromMilliseconds(400);

    protected override Task<IRateLimiter> CreateLimiterAsync() => Task.FromResult<IRateLimiter>(new RedisRateLimiter(_connection));

    protected override Task AdvancePastAsync(TimeSpan span) => RedisExpiry.AdvancePastAsync(_connection, span);
}
