using ChatOps.Teams.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatOps.Teams;

/// <summary>The outcome of checking a request from the Bot Framework: 200, 401, 403 or 503.</summary>
/// <param name="Failure">Why it was refused (for the log line; never shown to the caller in detail).</param>
public sealed record BotFrameworkAuthResult(int StatusCode, string? Failure)
{
    public static readonly BotFrameworkAuthResult Valid = new(200, null);

    public bool Succeeded => StatusCode == 200;
}

/// <summary>
/// Validates the bearer JWT that the Bot Framework sends with every activity (the checks of its
/// "Authentication with the Bot Connector API"): RS256 signature by a key from the OpenID metadata,
/// issuer <c>https://api.botframework.com</c>, audience = our app id, lifetime with 5 minutes of
/// skew, the key endorsed for the activity's channel, and the token's <c>serviceurl</c> claim equal
/// to the activity's serviceUrl (else a stolen token could redirect our replies, and our own token,
/// to another host).
/// </summary>
public sealed partial class BotFrameworkTokenValidator
{
    public const string Issuer = "https://api.botframework.com";
    public const string ServiceUrlClaim = "serviceurl";
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const int MaxHeaderLength = 16 * 1024;

    private readonly TeamsOptions _options;
    private readonly SigningKeys _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<BotFrameworkTokenValidator> _logger;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public BotFrameworkTokenValidator(TeamsOptions options, HttpClient http, TimeProvider time, ILogger<BotFrameworkTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _logger = logger;
        _keys = new SigningKeys(options, http, time, logger);
    }

    /// <summary>Checks the token of one request against the activity it carries.</summary>
    /// <param name="authorizationHeader">The request's <c>Authorization</c> header.</param>
    /// <param name="channelId">The activity's <c>channelId</c> (e.g. <c>msteams</c>).</param>
    /// <param name="serviceUrl">The activity's <c>serviceUrl</c>.</param>
    public async Task<BotFrameworkAuthResult> ValidateAsync(string? authorizationHeader, string? channelId, string? serviceUrl, CancellationToken cancellationToken = default)
    {
        var token = await ValidateTokenAsync(authorizationHeader, cancellationToken);
        return token.Result.Succeeded ? Bind(token, channelId, serviceUrl) : token.Result;
    }

    /// <summary>Signature, issuer, audience and lifetime: everything that needs no activity.</summary>
    internal async Task<ValidatedToken> ValidateTokenAsync(string? authorizationHeader, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(authorizationHeader)) return Refused(401, "no Authorization header");
        if (authorizationHeader.Length > MaxHeaderLength) return Refused(401, "Authorization header too long");
        const string scheme = "Bearer ";
        if (!authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return Refused(401, "Authorization scheme is not Bearer");
        var raw = authorizationHeader[scheme.Length..].Trim();

        JsonWebToken parsed;
        try
        {
            parsed = new JsonWebToken(raw);
        }
        catch (ArgumentException)
        {
            return Refused(401, "malformed token");
        }

        // Checked before any key lookup: alg=none and HS256 (signed with our public key as the secret)
        // never reach signature validation, and cannot trigger a key reload.
        if (!string.Equals(parsed.Alg, SecurityAlgorithms.RsaSha256, StringComparison.Ordinal))
            return Refused(401, $"algorithm '{parsed.Alg}' is not allowed (RS256 only)");
        if (string.IsNullOrEmpty(parsed.Kid)) return Refused(401, "token names no signing key (kid)");

        EndorsedKey? key;
        try
        {
            key = await _keys.FindAsync(parsed.Kid, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            // No metadata at all: we cannot tell good from bad; the Bot Framework retries a 503.
            return Refused(503, "signing keys unavailable: " + ex.Message);
        }

        if (key is null) return Refused(401, $"unknown signing key '{parsed.Kid}'");

        var result = await _handler.ValidateTokenAsync(parsed, Parameters(key.Key));
        if (!result.IsValid) return Refused(401, Describe(result.Exception));

        parsed.TryGetPayloadValue<string>(ServiceUrlClaim, out var serviceUrlClaim);
        return new ValidatedToken(BotFrameworkAuthResult.Valid, key.Endorsements, serviceUrlClaim);
    }

    /// <summary>The checks that bind a valid token to the activity it came with.</summary>
    internal BotFrameworkAuthResult Bind(ValidatedToken token, string? channelId, string? serviceUrl)
    {
        if (string.IsNullOrEmpty(channelId)) return Refuse(401, "activity has no channelId to check the key's endorsement against");
        if (!token.Endorsements.Contains(channelId, StringComparer.Ordinal))
            return Refuse(401, $"signing key is not endorsed for channel '{channelId}'");
        if (string.IsNullOrEmpty(token.ServiceUrlClaim)) return Refuse(401, "token has no serviceurl claim");
        if (!string.Equals(token.ServiceUrlClaim, serviceUrl, StringComparison.OrdinalIgnoreCase))
            return Refuse(403, $"serviceurl claim '{token.ServiceUrlClaim}' does not match the activity's serviceUrl '{serviceUrl}'");
        return BotFrameworkAuthResult.Valid;
    }

    private TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        IssuerSigningKey = key,
        TryAllIssuerSigningKeys = false,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        RequireSignedTokens = true,
        ValidateIssuer = true,
        ValidIssuer = Issuer,
        ValidateAudience = true,
        ValidAudience = _options.AppId,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        ClockSkew = ClockSkew,
        LifetimeValidator = ValidateLifetime,
        ValidateIssuerSigningKey = false,
    };

    // Our clock (TimeProvider), not the library's, so tests can move time.
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp) throw new SecurityTokenNoExpirationException("token has no expiry");
        if (now > exp.ToUniversalTime() + ClockSkew) throw new SecurityTokenExpiredException($"token expired at {exp:O}") { Expires = exp };
        if (notBefore is { } nbf && now < nbf.ToUniversalTime() - ClockSkew)
            throw new SecurityTokenNotYetValidException($"token not valid before {nbf:O}") { NotBefore = nbf };
        return true;
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenInvalidIssuerException => "wrong issuer",
        SecurityTokenInvalidAudienceException => "wrong audience",
        SecurityTokenExpiredException e => e.Message,
        SecurityTokenNotYetValidException e => e.Message,
        SecurityTokenNoExpirationException => "token has no expiry",
        SecurityTokenSignatureKeyNotFoundException => "signing key not found",
        SecurityTokenInvalidSignatureException => "bad signature",
        SecurityTokenInvalidAlgorithmException => "algorithm not allowed",
        null => "invalid token",
        _ => exception.GetType().Name,
    };

    private ValidatedToken Refused(int status, string reason) => new(Refuse(status, reason), [], null);

    private BotFrameworkAuthResult Refuse(int status, string reason)
    {
        LogRefused(status, reason);
        return new BotFrameworkAuthResult(status, reason);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Teams request refused ({Status}): {Reason}")]
    private partial void LogRefused(int status, string reason);
}

/// <summary>A token whose signature, issuer, audience and lifetime passed; still to be bound to its activity.</summary>
internal sealed record ValidatedToken(BotFrameworkAuthResult Result, IReadOnlyList<string> Endorsements, string? ServiceUrlClaim);
