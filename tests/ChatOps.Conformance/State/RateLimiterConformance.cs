using ChatOps.Core.Ports;

namespace ChatOps.Conformance.State;

/// <summary>
/// What every <see cref="IRateLimiter"/> must do: a sliding window per (user, endpoint). Subclass once
/// per adapter; Redis overrides <see cref="Window"/> with something short enough to wait for, but long
/// enough that a test's calls fit well inside it (a second or two).
/// </summary>
public abstract class RateLimiterConformance : ExpiringStateConformance, IAsyncLifetime
{
    protected IRateLimiter Limiter { get; private set; } = null!;

    protected virtual TimeSpan Window => TimeSpan.FromMinutes(1);

    protected abstract Task<IRateLimiter> CreateLimiterAsync();

    public async Task InitializeAsync() => Limiter = await CreateLimiterAsync();

    public Task DisposeAsync() => StateDisposal.DisposeAsync(Limiter);

    [Fact]
    public async Task Calls_are_allowed_up_to_the_limit_then_refused()
    {
        var user = NewId("user");
        var policy = new RateLimitPolicy(3, Window);

        var decisions = new List<RateLimitDecision>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add(await Limiter.TryAcquireAsync(user, "commands", policy));
        }

        Assert.Equal([true, true, true, false], decisions.Select(d => d.Allowed));
        Assert.Equal([2, 1, 0, 0], decisions.Select(d => d.Remaining));
        Assert.All(decisions.Take(3), d => Assert.Equal(TimeSpan.Zero, d.RetryAfter));
        Assert.InRange(decisions[3].RetryAfter, TimeSpan.FromTicks(1), Window);
    }

    [Fact]
    public async Task After_retry_after_has_passed_a_call_is_allowed_again()
    {
        var user = NewId("user");
        var policy = new RateLimitPolicy(2, Window);
        await Limiter.TryAcquireAsync(user, "commands", policy);
        await Limiter.TryAcquireAsync(user, "commands", policy);
        var refused = await Limiter.TryAcquireAsync(user, "commands", policy);

        await AdvancePastAsync(refused.RetryAfter);
        var allowed = await Limiter.TryAcquireAsync(user, "commands", policy);

        Assert.False(refused.Allowed);
        Assert.True(allowed.Allowed);
    }

    [Fact]
    public async Task The_window_slides_rather_than_resetting()
    {
        var user = NewId("user");
        var policy = new RateLimitPolicy(3, Window);
        await Limiter.TryAcquireAsync(user, "commands", policy);
        await Limiter.TryAcquireAsync(user, "commands", policy);
        await AdvancePastAsync(Window / 2);
        var third = await Limiter.TryAcquireAsync(user, "commands", policy);
        var fourth = await Limiter.TryAcquireAsync(user, "commands", policy);

        // The first two have left the window; the third is still in it, so only two more fit.
        await AdvancePastAsync(Window / 2);
        var later = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            later.Add((await Limiter.TryAcquireAsync(user, "commands", policy)).Allowed);
        }

        Assert.True(third.Allowed);
        Assert.False(fourth.Allowed);
        Assert.Equal([true, true, false], later);
    }

    [Fact]
    public async Task Users_are_limited_separately()
    {
        var policy = new RateLimitPolicy(1, Window);
        var alice = NewId("alice");

        Assert.True((await Limiter.TryAcquireAsync(alice, "commands", policy)).Allowed);
        Assert.False((await Limiter.TryAcquireAsync(alice, "commands", policy)).Allowed);
        Assert.True((await Limiter.TryAcquireAsync(NewId("bob"), "commands", policy)).Allowed);
    }

    [Fact]
    public async Task Endpoints_are_limited_separately()
    {
        var policy = new RateLimitPolicy(1, Window);
        var user = NewId("user");

        Assert.True((await Limiter.TryAcquireAsync(user, "commands", policy)).Allowed);
        Assert.False((await Limiter.TryAcquireAsync(user, "commands", policy)).Allowed);
        Assert.True((await Limiter.TryAcquireAsync(user, "login", policy)).Allowed);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_clearly()
    {
        var policy = new RateLimitPolicy(1, Window);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Limiter.TryAcquireAsync("", "commands", policy));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Limiter.TryAcquireAsync(NewId("user"), " ", policy));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Limiter.TryAcquireAsync(NewId("user"), "commands", new RateLimitPolicy(0, Window)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Limiter.TryAcquireAsync(NewId("user"), "commands", new RateLimitPolicy(1, TimeSpan.Zero)));
    }
}
