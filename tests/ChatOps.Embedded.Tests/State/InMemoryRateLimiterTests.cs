using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Embedded.Tests.State;

public sealed class InMemoryRateLimiterTests : RateLimiterConformance
{
    private readonly FakeTimeProvider _time = new();

    protected override TimeProvider Clock => _time;

    protected override Task<IRateLimiter> CreateLimiterAsync() => Task.FromResult<IRateLimiter>(new InMemoryRateLimiter(_time));

    protected override Task AdvancePastAsync(TimeSpan span)
    {
        _time.Advance(span + TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Retry_after_is_exactly_when_the_oldest_counted_call_leaves_the_window()
    {
        var policy = new RateLimitPolicy(2, TimeSpan.FromSeconds(10));
        await Limiter.TryAcquireAsync("alice", "commands", policy);
        _time.Advance(TimeSpan.FromSeconds(3));
        await Limiter.TryAcquireAsync("alice", "commands", policy);
        _time.Advance(TimeSpan.FromSeconds(1));

        var refused = await Limiter.TryAcquireAsync("alice", "commands", policy);
        _time.Advance(refused.RetryAfter - TimeSpan.FromTicks(1));
        var stillRefused = await Limiter.TryAcquireAsync("alice", "commands", policy);
        _time.Advance(TimeSpan.FromTicks(1));
        var allowed = await Limiter.TryAcquireAsync("alice", "commands", policy);

        Assert.Equal(TimeSpan.FromSeconds(6), refused.RetryAfter);
        Assert.False(stillRefused.Allowed);
        Assert.Equal(TimeSpan.FromTicks(1), stillRefused.RetryAfter);
        Assert.True(allowed.Allowed);
        Assert.Equal(0, allowed.Remaining);
    }

    [Fact]
    public async Task Refused_calls_do_not_extend_the_wait()
    {
        var policy = new RateLimitPolicy(1, TimeSpan.FromSeconds(10));
        await Limiter.TryAcquireAsync("alice", "commands", policy);

        for (var i = 0; i < 9; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.False((await Limiter.TryAcquireAsync("alice", "commands", policy)).Allowed);
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await Limiter.TryAcquireAsync("alice", "commands", policy)).Allowed);
    }

    [Fact]
    public async Task A_lowered_limit_waits_until_enough_calls_have_left_the_window()
    {
        var generous = new RateLimitPolicy(3, TimeSpan.FromSeconds(10));
        var strict = new RateLimitPolicy(1, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
        {
            await Limiter.TryAcquireAsync("alice", "commands", generous);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Calls at 0 s, 1 s and 2 s; now 3 s. With a limit of 1 the last of them must leave: at 12 s.
        var refused = await Limiter.TryAcquireAsync("alice", "commands", strict);

        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(9), refused.RetryAfter);
    }

    [Fact]
    public async Task Concurrent_callers_never_get_more_than_the_limit()
    {
        var policy = new RateLimitPolicy(10, TimeSpan.FromMinutes(1));

        var decisions = await Task.WhenAll(Enumerable.Range(0, 100)
            .Select(_ => Task.Run(() => Limiter.TryAcquireAsync("alice", "commands", policy))));

        Assert.Equal(10, decisions.Count(d => d.Allowed));
    }
}
