using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatOps.Server.Auth;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Server.Tests;

/// <summary>
/// Access tokens: compact HS256 JWTs with <c>kid</c>, <c>iss</c>, <c>aud</c>, <c>sub</c>, <c>sid</c>,
/// <c>iat</c>, <c>exp</c>. Anything tampered, expired (beyond 30 s of skew), signed with another key, with
/// another algorithm or none, or minted for another issuer or audience is refused.
/// </summary>
public sealed class AccessTokenTests
{
    private static readonly byte[] KeyA = Encoding.UTF8.GetBytes("key-a-0123456789-0123456789-0123456789");
    private static readonly byte[] KeyB = Encoding.UTF8.GetBytes("key-b-0123456789-0123456789-0123456789");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private AccessTokens Tokens(byte[] key, params byte[][] previous) =>
        new(new AuthSettings { SigningKey = key, PreviousSigningKeys = previous, AccessTokenLifetime = TimeSpan.FromMinutes(5) }, _time);

    [Fact]
    public async Task A_fresh_token_says_who_which_session_and_until_when()
    {
        var tokens = Tokens(KeyA);
        var token = tokens.Issue("alice", "s1", out var expiresAt);

        var claims = await tokens.ValidateAsync(token);

        Assert.Equal(new AccessTokenClaims("alice", "s1", expiresAt), claims);
        Assert.Equal(_time.GetUtcNow().AddMinutes(5), expiresAt);
        var header = Part(token, 0);
        var payload = Part(token, 1);
        Assert.Equal("HS256", header.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.GetProperty("typ").GetString());
        Assert.Equal(12, header.GetProperty("kid").GetString()!.Length);
        Assert.Equal("chatops", payload.GetProperty("iss").GetString());
        Assert.Equal(AccessTokens.Audience, payload.GetProperty("aud").GetString());
        Assert.Equal("alice", payload.GetProperty("sub").GetString());
        Assert.Equal("s1", payload.GetProperty("sid").GetString());
        Assert.Equal(expiresAt.ToUnixTimeSeconds(), payload.GetProperty("exp").GetInt64());
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), payload.GetProperty("iat").GetInt64());
        Assert.True(payload.TryGetProperty("jti", out _));
    }

    [Fact]
    public async Task A_token_lives_its_lifetime_plus_the_clock_skew_and_no_longer()
    {
        var tokens = Tokens(KeyA);
        var token = tokens.Issue("alice", "s1", out _);

        _time.Advance(TimeSpan.FromMinutes(5) + AccessTokens.ClockSkew - TimeSpan.FromSeconds(1));
        Assert.NotNull(await tokens.ValidateAsync(token));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await tokens.ValidateAsync(token));
    }

    [Fact]
    public async Task A_token_from_the_future_is_refused()
    {
        // A node whose clock runs two minutes ahead issues it; ours has not reached its start yet.
        var ahead = new FakeTimeProvider(_time.GetUtcNow().AddMinutes(2));
        var token = new AccessTokens(new AuthSettings { SigningKey = KeyA }, ahead).Issue("alice", "s1", out _);

        Assert.Null(await Tokens(KeyA).ValidateAsync(token));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.NotNull(await Tokens(KeyA).ValidateAsync(token));
    }

    [Fact]
    public async Task Tampered_tokens_are_refused()
    {
        var tokens = Tokens(KeyA);
        var token = tokens.Issue("alice", "s1", out _);
        var parts = token.Split('.');
        var asAdmin = Encode(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(AccessTokens.Decode(parts[1])).Replace("\"alice\"", "\"admin\"", StringComparison.Ordinal)));
        var flipped = parts[2][..^2] + (parts[2][^2] == 'A' ? 'B' : 'A') + parts[2][^1];

        Assert.Null(await tokens.ValidateAsync($"{parts[0]}.{asAdmin}.{parts[2]}"));
        Assert.Null(await tokens.ValidateAsync($"{parts[0]}.{parts[1]}.{flipped}"));
        Assert.Null(await tokens.ValidateAsync($"{parts[0]}.{parts[1]}."));
        Assert.Null(await tokens.ValidateAsync($"{parts[0]}.{parts[1]}"));
        Assert.Null(await tokens.ValidateAsync(token + "x"));
        Assert.Null(await tokens.ValidateAsync("not a token"));
        Assert.Null(await tokens.ValidateAsync(""));
        Assert.Null(await tokens.ValidateAsync(null));
        Assert.Null(await tokens.ValidateAsync(new string('a', 5000)));
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused_and_a_previous_key_still_verifies()
    {
        var fromB = Tokens(KeyB).Issue("alice", "s1", out _);

        Assert.Null(await Tokens(KeyA).ValidateAsync(fromB));
        Assert.NotNull(await Tokens(KeyA, KeyB).ValidateAsync(fromB));
    }

    [Fact]
    public async Task Hand_made_tokens_with_none_another_algorithm_or_claims_are_refused()
    {
        var tokens = Tokens(KeyA);
        var valid = tokens.Issue("alice", "s1", out _);
        var kid = Part(valid, 0).GetProperty("kid").GetString();
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        object Claims(string iss = "chatops", string aud = AccessTokens.Audience, string? sid = "s1") =>
            new { iss, aud, sub = "admin", sid, iat = now, nbf = now, exp = now + 300 };

        // The control: the same hand-made shape with the right values passes, so each refusal below is for its one difference.
        Assert.NotNull(await tokens.ValidateAsync(Sign(new { alg = "HS256", typ = "JWT", kid }, Claims(), KeyA)));

        Assert.Null(await tokens.ValidateAsync(Unsigned(new { alg = "none", typ = "JWT", kid }, Claims())));
        Assert.Null(await tokens.ValidateAsync(Sign(new { alg = "HS512", typ = "JWT", kid }, Claims(), KeyA, HMACSHA512.HashData)));
        Assert.Null(await tokens.ValidateAsync(Sign(new { alg = "HS256", typ = "JWT" }, Claims(), KeyA)));
        Assert.Null(await tokens.ValidateAsync(Sign(new { alg = "HS256", typ = "JWT", kid = "000000000000" }, Claims(), KeyA)));
        Assert.Null(await tokens.ValidateAsync(Sign(new { alg = "HS256", typ = "JWT", kid }, Claims(iss: "evil"), KeyA)));
        Assert.Null(await tokens.ValidateAsync(Sign(new { alg = "HS256", typ = "JWT", kid }, Claims(aud: "another-app"), KeyA)));
        Assert.Null(await tokens.ValidateAsync(Sign(new { alg = "HS256", typ = "JWT", kid }, Claims(sid: null), KeyA)));
        Assert.Null(await tokens.ValidateAsync(Sign(new { alg = "HS256", typ = "JWT", kid }, new { iss = "chatops", aud = AccessTokens.Audience, sub = "admin", sid = "s1", iat = now }, KeyA)));
    }

    private static JsonElement Part(string token, int index) => JsonSerializer.Deserialize<JsonElement>(AccessTokens.Decode(token.Split('.')[index]));

    private static string Encode(byte[] bytes) => AccessTokens.Encode(bytes);

    private static string Unsigned(object header, object payload) =>
        Encode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Encode(JsonSerializer.SerializeToUtf8Bytes(payload)) + ".";

    private static string Sign(object header, object payload, byte[] key, Func<byte[], byte[], byte[]>? mac = null)
    {
        var signed = Encode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Encode(JsonSerializer.SerializeToUtf8Bytes(payload));
        return signed + "." + Encode((mac ?? HMACSHA256.HashData)(key, Encoding.ASCII.GetBytes(signed)));
    }
}
