using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Redis.Tests.Support;

namespace ChatOps.Redis.Tests.Conformance;

public sealed class RedisMetricsCacheConformanceTests(RedisServerFixture redis) : MetricsCacheConformance, IClassFixture<RedisServerFixture>
{
    // The production TTL is 60 s; the option exists so this suite can watch a snapshot expire.
    private static readonly TimeSpan TestTtl = TimeSpan.FromMilliseconds(400);

    private readonly RedisStateConnection _connection = redis.Connect(configure: o => o.MetricsTtl = TestTtl);

    protected override TimeSpan CacheTtl => TestTtl;

    protected override TimeSpan ShortTtl => TestTtl;

    protected override Task<IMetricsCache> CreateCacheAsync() => Task.FromResult<IMetricsCache>(new RedisMetricsCache(_connection));

    protected override Task AdvancePastAsync(TimeSpan span) => RedisExpiry.AdvancePastAsync(_connection, span);
}
