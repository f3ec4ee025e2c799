using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests.Conformance;

public sealed class RedisCommandLockConformanceTests(RedisServerFixture redis) : CommandLockConformance, IClassFixture<RedisServerFixture>
{
    private readonly RedisStateConnection _connection = redis.Connect();

    protected override TimeSpan ShortTtl => TimeSpan.FromMilliseconds(400);

    protected override Task<ICommandLock> CreateLockAsync() => Task.FromResult<ICommandLock>(new RedisCommandLock(_connection));

    protected override Task AdvancePastAsync(TimeSpan span) => RedisExpiry.AdvancePastAsync(_connection, span);
}
