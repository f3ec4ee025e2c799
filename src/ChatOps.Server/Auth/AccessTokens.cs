using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatOps.Server.Auth;

/// <summary>What a valid access token says: who, which session, until when.</summary>
public sealed record AccessTokenClaims(string UserId, string SessionId, DateTimeOffset ExpiresAt);

/// <summary>
/// Short-lived access tokens as compact JWTs (RFC 7519) signed with HMAC-SHA256, written and checked by
/// Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/>, and the CSRF token of a session. Only
/// <c>HS256</c> with a known <c>kid</c> is accepted (no <c>alg=none</c>, no algorithm switching, no
/// trying every key); issuer, audience and lifetime are checked with <see cref="ClockSkew"/> of slack.
/// </summary>
/// <remarks>
/// Key rotation: set the new key as <c>ChatOps:Auth:SigningKey</c> and the old one in
/// <c>ChatOps:Auth:PreviousSigningKeys</c> on every node, restart them, and remove the old key once an
/// access-token lifetime has passed. Refresh tokens are not signed (they are random and looked up in
/// the session store), so rotation signs nobody out.
/// </remarks>
public sealed class AccessTokens
{
    public const string Issuer = "chatops";

    /// <summary>The <c>aud</c> of access tokens: this API, so a token minted for something else with the same key does not pass.</summary>
    public const string Audience = "chatops-api";

    public const string SessionClaim = "sid";
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private const int MaxTokenLength = 4096;

    private readonly AuthSettings _settings;
    private readonly TimeProvider _time;
    private readonly SymmetricSecurityKey _current;
    private readonly SigningCredentials _signing;
    private readonly TokenValidationParameters _validation;
    private readonly IReadOnlyList<byte[]> _csrfKeys;
    private readonly JsonWebTokenHandler _handler = new()
    {
        MaximumTokenSizeInBytes = MaxTokenLength,
        // Claims keep their JWT names (sub, sid), not the WS-* URIs .NET maps them to by default.
        MapInboundClaims = false,
        // Times come from our clock (tests move it), not from DateTime.UtcNow.
        SetDefaultTimesOnTokenCreation = false,
    };

    public AccessTokens(AuthSettings settings, TimeProvider time)
    {
        _settings = settings;
        _time = time;
        _current = Key(settings.SigningKey);
        _signing = new SigningCredentials(_current, SecurityAlgorithms.HmacSha256);
        _csrfKeys = [settings.SigningKey, .. settings.PreviousSigningKeys];
        var keys = new Dictionary<string, SecurityKey>(StringComparer.Ordinal) { [_current.KeyId] = _current };
        foreach (var previous in settings.PreviousSigningKeys) keys.TryAdd(Key(previous).KeyId, Key(previous));
        _validation = new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidateIssuer = true,
            ValidAudience = Audience,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = ValidLifetime,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys.Values,
            // Only the key the token names: a token without a known kid fails instead of being tried against every key.
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidTypes = ["JWT"],
        };
    }

    public string Issue(string userId, string sessionId, out DateTimeOffset expiresAt)
    {
        var now = _time.GetUtcNow();
        expiresAt = now + _settings.AccessTokenLifetime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, userId), new Claim(SessionClaim, sessionId)]),
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N") },
            SigningCredentials = _signing,
            TokenType = "JWT",
        });
    }

    /// <summary>The claims of a valid token, or null (malformed, unknown key, bad signature, wrong algorithm, expired, wrong issuer or audience).</summary>
    public async Task<AccessTokenClaims?> ValidateAsync(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength) return null;
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt) return null;
        if (!jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var userId) || string.IsNullOrEmpty(userId)) return null;
        if (!jwt.TryGetPayloadValue<string>(SessionClaim, out var sessionId) || string.IsNullOrEmpty(sessionId)) return null;
        // A token from the future is someone else's clock or a forgery: refuse it like the lifetime check does.
        if (jwt.IssuedAt > _time.GetUtcNow().UtcDateTime + ClockSkew) return null;
        return new AccessTokenClaims(userId, sessionId, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
    }

    private bool ValidLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } end && end > now - ClockSkew && (notBefore is not { } start || start <= now + ClockSkew);
    }

    private static SymmetricSecurityKey Key(byte[] key) => new(key) { KeyId = KeyId(key) };

    /// <summary>The CSRF token of a session: an HMAC of its id, so it cannot be guessed or planted from another site.</summary>
    public string CsrfTokenFor(string sessionId) =>
        Encode(HMACSHA256.HashData(_current.Key, Encoding.UTF8.GetBytes("csrf:" + sessionId)));

    public bool IsValidCsrf(string sessionId, string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 128) return false;
        foreach (var key in _csrfKeys)
        {
            var expected = Encoding.ASCII.GetBytes(Encode(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("csrf:" + sessionId))));
            if (CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(presented))) return true;
        }

        return false;
    }

    private static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..12];

    internal static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[] Decode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException("bad base64url length") };
        return Convert.FromBase64String(padded);
    }
}
