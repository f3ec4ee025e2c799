using ChatOps.Teams.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Teams.Tests;

/// <summary>The validator on a fake clock: key rotation (reload on an unknown kid, rate-limited) and lifetime.</summary>
public sealed class TokenValidatorTests : IDisposable
{
    private readonly TestKey _old = new("old", "msteams");
    private readonly TestKey _rotated = new("rotated", "msteams");
    private readonly TestKey _forged = new("forged", "msteams");
    private readonly FakeBotFramework _botFramework;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly HttpClient _http = new();
    private readonly BotFrameworkTokenValidator _validator;

    public TokenValidatorTests()
    {
        _botFramework = new FakeBotFramework(_old);
        var options = _botFramework.Options(o => o.KeyRefreshMinInterval = TimeSpan.FromMinutes(1));
        _validator = new BotFrameworkTokenValidator(options, _http, _time, NullLogger<BotFrameworkTokenValidator>.Instance);
    }

    [Fact]
    public async Task A_rotated_key_is_picked_up_by_a_reload_when_a_token_names_it()
    {
        Assert.True((await ValidateAsync(_old)).Succeeded);
        var loads = _botFramework.KeyRequests;

        _botFramework.ServeKeys([_old, _rotated]);
        var result = await ValidateAsync(_rotated);

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(loads + 1, _botFramework.KeyRequests);
    }

    [Fact]
    public async Task Unknown_key_ids_reload_the_keys_at_most_once_per_interval()
    {
        Assert.True((await ValidateAsync(_old)).Succeeded);
        var loads = _botFramework.KeyRequests;

        var first = await ValidateAsync(_forged);
        var second = await ValidateAsync(_forged);
        Assert.Equal(401, first.StatusCode);
        Assert.Equal(401, second.StatusCode);
        Assert.Equal(loads + 1, _botFramework.KeyRequests);

        _time.Advance(TimeSpan.FromMinutes(1));
        await ValidateAsync(_forged);
        Assert.Equal(loads + 2, _botFramework.KeyRequests);
    }

    [Fact]
    public async Task A_token_is_refused_once_its_expiry_plus_five_minutes_has_passed()
    {
        var token = _old.Sign(Jwt.Claims(FakeBotFramework.AppId, _botFramework.ServiceUrl, _time.GetUtcNow(), expiresIn: TimeSpan.FromMinutes(10)));

        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.True((await _validator.ValidateAsync("Bearer " + token, "msteams", _botFramework.ServiceUrl)).Succeeded);

        _time.Advance(TimeSpan.FromMinutes(2));
        var late = await _validator.ValidateAsync("Bearer " + token, "msteams", _botFramework.ServiceUrl);
        Assert.Equal(401, late.StatusCode);
        Assert.Contains("expired", late.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_not_valid_yet_beyond_the_skew_is_refused()
    {
        var claims = Jwt.Claims(FakeBotFramework.AppId, _botFramework.ServiceUrl, _time.GetUtcNow());
        claims["nbf"] = _time.GetUtcNow().AddMinutes(6).ToUnixTimeSeconds();

        var result = await _validator.ValidateAsync("Bearer " + _old.Sign(claims), "msteams", _botFramework.ServiceUrl);

        Assert.Equal(401, result.StatusCode);
        Assert.Contains("not valid before", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_serviceurl_claim_is_compared_without_regard_to_case()
    {
        var token = _old.Sign(Jwt.Claims(FakeBotFramework.AppId, _botFramework.ServiceUrl.ToUpperInvariant(), _time.GetUtcNow()));

        var result = await _validator.ValidateAsync("Bearer " + token, "msteams", _botFramework.ServiceUrl);

        Assert.True(result.Succeeded, result.Failure);
    }

    [Fact]
    public async Task Unreachable_metadata_is_a_503_not_a_pass()
    {
        _botFramework.Server.Stop();

        var result = await ValidateAsync(_old);

        Assert.Equal(503, result.StatusCode);
    }

    private Task<BotFrameworkAuthResult> ValidateAsync(TestKey key) =>
        _validator.ValidateAsync("Bearer " + key.Sign(Jwt.Claims(FakeBotFramework.AppId, _botFramework.ServiceUrl, _time.GetUtcNow())), "msteams", _botFramework.ServiceUrl);

    public void Dispose()
    {
        _botFramework.Dispose();
        _http.Dispose();
        _old.Dispose();
        _rotated.Dispose();
        _forged.Dispose();
    }
}

/// <summary>Garbage in the Authorization header is a 401, never an exception.</summary>
public sealed class MalformedTokenTests
{
    [Theory]
    [InlineData("Bearer ")]
    [InlineData("Bearer a.b.c")]
    [InlineData("Bearer e30.e30")]
    [InlineData("Bearer W10.e30.c2ln")]
    [InlineData("Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")]
    [InlineData("Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6MX0.e30.c2ln")]
    [InlineData("Bearer a.b.c.d.e")]
    [InlineData("Bearer ....")]
    [InlineData("bearer\tx")]
    public async Task Is_refused_with_401(string header)
    {
        using var botFramework = new Support.FakeBotFramework();
        using var http = new HttpClient();
        var validator = new BotFrameworkTokenValidator(botFramework.Options(), http, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<BotFrameworkTokenValidator>.Instance);

        var result = await validator.ValidateAsync(header, "msteams", botFramework.ServiceUrl);

        Assert.Equal(401, result.StatusCode);
    }
}
