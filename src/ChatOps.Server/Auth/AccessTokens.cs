using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatOps.Server.Auth;

/// <summary>What a valid access token says: who, which session, until when.</summary>
public sealed record AccessTokenClaims(string UserId, string SessionId, DateTimeOffset ExpiresAt);

/// <summary>
/// Short-lived access tokens as compact JWTs (RFC 7519) signed with HMAC-SHA256, and the CSRF token
/// of a session. Only <c>HS256</c> with a known <c>kid</c> is accepted (no <c>alg=none</c>, no
/// algorithm switching); signatures are compared in constant time.
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
    private const int MaxTokenLength = 4096;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 4,
        AllowDuplicateProperties = false,
    };

    private readonly AuthSettings _settings;
    private readonly TimeProvider _time;
    private readonly (string Kid, byte[] Key) _current;
    private readonly Dictionary<string, byte[]> _verifying;

    public AccessTokens(AuthSettings settings, TimeProvider time)
    {
        _settings = settings;
        _time = time;
        _current = (KeyId(settings.SigningKey), settings.SigningKey);
        _verifying = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [_current.Kid] = _current.Key };
        foreach (var key in settings.PreviousSigningKeys) _verifying.TryAdd(KeyId(key), key);
    }

    public string Issue(string userId, string sessionId, out DateTimeOffset expiresAt)
    {
        var now = _time.GetUtcNow();
        expiresAt = now + _settings.AccessTokenLifetime;
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new Header("HS256", "JWT", _current.Kid), Json));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(new Payload(Issuer, userId, sessionId, now.ToUnixTimeSeconds(), expiresAt.ToUnixTimeSeconds(), Guid.NewGuid().ToString("N")), Json));
        var signed = header + "." + payload;
        return signed + "." + Encode(HMACSHA256.HashData(_current.Key, Encoding.ASCII.GetBytes(signed)));
    }

    /// <summary>The claims of a valid token, or null (malformed, unknown key, bad signature, expired, wrong issuer).</summary>
    public AccessTokenClaims? Validate(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength) return null;
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            var header = JsonSerializer.Deserialize<Header>(Decode(parts[0]), Json);
            if (header is not { Alg: "HS256" } || header.Kid is null || !_verifying.TryGetValue(header.Kid, out var key)) return null;
            var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Decode(parts[2]))) return null;

            var payload = JsonSerializer.Deserialize<Payload>(Decode(parts[1]), Json);
            if (payload is null || payload.Iss != Issuer || string.IsNullOrEmpty(payload.Sub) || string.IsNullOrEmpty(payload.Sid)) return null;
            var now = _time.GetUtcNow();
            var expires = DateTimeOffset.FromUnixTimeSeconds(payload.Exp);
            if (expires <= now - ClockSkew || DateTimeOffset.FromUnixTimeSeconds(payload.Iat) > now + ClockSkew) return null;
            return new AccessTokenClaims(payload.Sub, payload.Sid, expires);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The CSRF token of a session: an HMAC of its id, so it cannot be guessed or planted from another site.</summary>
    public string CsrfTokenFor(string sessionId) =>
        Encode(HMACSHA256.HashData(_current.Key, Encoding.UTF8.GetBytes("csrf:" + sessionId)));

    public bool IsValidCsrf(string sessionId, string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 128) return false;
        foreach (var key in _verifying.Values)
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

    private sealed record Header(
        [property: JsonPropertyName("alg")] string? Alg,
        [property: JsonPropertyName("typ")] string? Typ,
        [property: JsonPropertyName("kid")] string? Kid);

    private sealed record Payload(
        [property: JsonPropertyName("iss")] string? Iss,
        [property: JsonPropertyName("sub")] string? Sub,
        [property: JsonPropertyName("sid")] string? Sid,
        [property: JsonPropertyName("iat")] long Iat,
        [property: JsonPropertyName("exp")] long Exp,
        [property: JsonPropertyName("jti")] string? Jti);
}
