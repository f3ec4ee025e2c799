using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Embedded.Tests.State;

public sealed class InMemoryCommandLockTests : CommandLockConformance
{
    private readonly FakeTimeProvider _time = new();

    protected override TimeProvider Clock => _time;

    protected override TimeSpan ClockTolerance => TimeSpan.Zero;

    protected override Task<ICommandLock> CreateLockAsync() => Task.FromResult<ICommandLock>(new InMemoryCommandLock(_time));

    protected override Task AdvancePastAsync(TimeSpan span)
    {
        _time.Advance(span + TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_lease_holds_until_the_last_tick_of_its_ttl()
    {
        var ttl = TimeSpan.FromSeconds(30);
        var lease = (await Lock.TryAcquireAsync("web-1", "router-a", "restart", ttl))!;

        _time.Advance(ttl - TimeSpan.FromTicks(1));
        Assert.Null(await Lock.TryAcquireAsync("web-1", "router-b", "deploy", ttl));
        Assert.True(await Lock.RenewAsync(lease, ttl));

        _time.Advance(ttl);
        Assert.NotNull(await Lock.TryAcquireAsync("web-1", "router-b", "deploy", ttl));
    }

    [Fact]
    public async Task Times_come_from_the_injected_clock()
    {
        var ttl = TimeSpan.FromSeconds(40);
        var start = _time.GetUtcNow();

        var lease = (await Lock.TryAcquireAsync("web-1", "router-a", "restart", ttl))!;
        _time.Advance(TimeSpan.FromSeconds(10));
        await Lock.RenewAsync(lease, ttl);
        var holder = await Lock.GetHolderAsync("web-1");

        Assert.Equal(start + ttl, lease.ExpiresAt);
        Assert.Equal(start, holder?.AcquiredAt);
        Assert.Equal(start + TimeSpan.FromSeconds(50), holder?.ExpiresAt);
    }

    [Fact]
    public async Task Releasing_does_not_reset_the_fencing_counter_and_servers_count_separately()
    {
        var first = (await Lock.TryAcquireAsync("web-1", "router-a", "restart", TimeSpan.FromSeconds(5)))!;
        await Lock.ReleaseAsync(first);
        var second = (await Lock.TryAcquireAsync("web-1", "router-a", "restart", TimeSpan.FromSeconds(5)))!;
        var other = (await Lock.TryAcquireAsync("web-2", "router-a", "restart", TimeSpan.FromSeconds(5)))!;

        // The clock does not move here, so the counter alone separates the grants.
        Assert.Equal(first.FencingToken + 1, second.FencingToken);
        Assert.Equal(first.FencingToken, other.FencingToken);
    }

    [Fact]
    public async Task A_new_process_grants_tokens_above_those_an_earlier_process_granted()
    {
        var before = (await Lock.TryAcquireAsync("web-1", "router-a", "restart", TimeSpan.FromSeconds(5)))!;
        await Lock.ReleaseAsync(before);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        // A restarted process starts with an empty counter: the clock floor keeps its tokens ahead.
        var restarted = new InMemoryCommandLock(_time);
        var after = (await restarted.TryAcquireAsync("web-1", "router-b", "restart", TimeSpan.FromSeconds(5)))!;

        Assert.True(after.FencingToken > before.FencingToken, $"{after.FencingToken} <= {before.FencingToken}");
    }
}
