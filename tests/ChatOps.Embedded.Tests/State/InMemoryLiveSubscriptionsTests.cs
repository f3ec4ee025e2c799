using ChatOps.Conformance.State;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Embedded.Tests.State;

public sealed class InMemoryLiveSubscriptionsTests : LiveSubscriptionsConformance
{
    private readonly FakeTimeProvider _time = new();

    protected override TimeProvider Clock => _time;

    protected override Task<ILiveSubscriptions> CreateSubscriptionsAsync() => Task.FromResult<ILiveSubscriptions>(new InMemoryLiveSubscriptions(_time));

    protected override Task AdvancePastAsync(TimeSpan span)
    {
        _time.Advance(span + TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_lease_lives_until_exactly_its_ttl()
    {
        await Subscriptions.AddAsync("web-1", "page-1", TimeSpan.FromSeconds(60));

        _time.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));
        Assert.Equal(1, await Subscriptions.CountAsync("web-1"));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(0, await Subscriptions.CountAsync("web-1"));
    }
}
