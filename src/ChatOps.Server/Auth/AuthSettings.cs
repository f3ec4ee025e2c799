using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChatOps.Core.Identity;
using ChatOps.Server.Hosting;

namespace ChatOps.Server.Auth;

/// <summary>When cookies carry the <c>Secure</c> flag.</summary>
public enum SecureCookies
{
    /// <summary>When the request came over HTTPS (or a proxy said so with X-Forwarded-Proto handled upstream).</summary>
    Auto,
    Always,
    Never,
}

/// <summary>
/// Settings of sign-in, tokens and request limits, read from <c>ChatOps:Auth:*</c>,
/// <c>ChatOps:RateLimits:*</c>, <c>ChatOps:Bootstrap:AdminPassword</c> and <c>ChatOps:Web:TrustedOrigins</c>.
/// </summary>
public sealed class AuthSettings
{
    /// <summary>The key new access tokens are signed with (HMAC-SHA256).</summary>
    public required byte[] SigningKey { get; init; }

    /// <summary>Older keys still accepted for verification while their tokens run out (key rotation).</summary>
    public IReadOnlyList<byte[]> PreviousSigningKeys { get; init; } = [];

    /// <summary>True when no key was configured and this process made one up (tokens die with the process).</summary>
    public bool SigningKeyGenerated { get; init; }

    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromHours(12);
    public int PasswordIterations { get; init; } = PasswordHasher.RecommendedIterations;
    public SecureCookies SecureCookies { get; init; } = SecureCookies.Auto;

    /// <summary>Origins besides the request's own host that may send state-changing requests (e.g. behind a proxy that rewrites Host).</summary>
    public IReadOnlyList<string> TrustedOrigins { get; init; } = [];

    /// <summary>Requests per user per endpoint per minute on <c>/api/</c> (chat has its own limit).</summary>
    public int ApiPerMinute { get; init; } = 600;

    /// <summary>Sign-in attempts per minute per account name (five times as many per client address).</summary>
    public int LoginPerMinute { get; init; } = 10;

    /// <summary>Chat commands per user per minute (intake, all platforms).</summary>
    public int CommandsPerMinute { get; init; } = 120;

    public TimeSpan ApprovalExpiry { get; init; } = TimeSpan.FromMinutes(15);

    public string? BootstrapAdminPassword { get; init; }

    public static AuthSettings Read(IConfiguration configuration, ChatOpsSettings settings, List<string> errors)
    {
        var section = configuration.GetSection("ChatOps");
        var keyText = ChatOpsSettings.SecretValue(section, "Auth:SigningKey", errors);
        var generated = keyText is null;
        byte[] key;
        if (keyText is null)
        {
            key = RandomNumberGenerator.GetBytes(32);
        }
        else
        {
            key = Encoding.UTF8.GetBytes(keyText);
            if (key.Length < 32) errors.Add("ChatOps:Auth:SigningKey must be at least 32 characters (use e.g. `openssl rand -base64 48`)");
        }

        var previous = (section["Auth:PreviousSigningKeys"] ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(Encoding.UTF8.GetBytes).ToList();
        if (previous.Any(k => k.Length < 32)) errors.Add("ChatOps:Auth:PreviousSigningKeys: each key must be at least 32 characters");

        var access = Duration(section, "Auth:AccessTokenLifetime", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), errors);
        var refresh = Duration(section, "Auth:RefreshTokenLifetime", TimeSpan.FromHours(12), TimeSpan.FromMinutes(5), TimeSpan.FromDays(30), errors);
        if (refresh <= access) errors.Add("ChatOps:Auth:RefreshTokenLifetime must be longer than ChatOps:Auth:AccessTokenLifetime");

        var iterations = Number(section, "Auth:PasswordIterations", PasswordHasher.RecommendedIterations, PasswordHasher.RecommendedIterations, 10_000_000, errors);
        var secure = section["Auth:SecureCookies"] is { Length: > 0 } secureText
            ? Enum.TryParse<SecureCookies>(secureText, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : Invalid(secureText, errors)
            : SecureCookies.Auto;

        var origins = (section["Web:TrustedOrigins"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var origin in origins.Where(o => !Uri.TryCreate(o, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/"))
            errors.Add($"ChatOps:Web:TrustedOrigins entry '{origin}' must be an origin such as https://chatops.example.com");
        if (origins.Any(o => o is "*" or "null")) errors.Add("ChatOps:Web:TrustedOrigins must not contain * or null");

        var password = ChatOpsSettings.SecretValue(section, "Bootstrap:AdminPassword", errors);
        if (password is not null && PasswordHasher.Check(password) is { } problem) errors.Add($"ChatOps:Bootstrap:AdminPassword: {problem}");

        return new AuthSettings
        {
            SigningKey = key,
            SigningKeyGenerated = generated,
            PreviousSigningKeys = previous,
            AccessTokenLifetime = access,
            RefreshTokenLifetime = refresh,
            PasswordIterations = iterations,
            SecureCookies = secure,
            TrustedOrigins = origins.Where(o => Uri.TryCreate(o, UriKind.Absolute, out _)).Select(o => new Uri(o).GetLeftPart(UriPartial.Authority)).ToList(),
            ApiPerMinute = Number(section, "RateLimits:ApiPerMinute", 600, 1, 1_000_000_000, errors),
            LoginPerMinute = Number(section, "RateLimits:LoginPerMinute", 10, 1, 1_000_000, errors),
            CommandsPerMinute = Number(section, "RateLimits:CommandsPerMinute", settings.ChatRateLimitPerMinute, 1, 1_000_000_000, errors),
            ApprovalExpiry = Duration(section, "Approvals:Expiry", TimeSpan.FromMinutes(15), TimeSpan.FromSeconds(10), TimeSpan.FromDays(7), errors),
            BootstrapAdminPassword = password,
        };

        static SecureCookies Invalid(string text, List<string> errors)
        {
            errors.Add($"ChatOps:Auth:SecureCookies must be auto, always or never (got '{text}')");
            return SecureCookies.Auto;
        }
    }

    private static TimeSpan Duration(IConfigurationSection section, string key, TimeSpan fallback, TimeSpan min, TimeSpan max, List<string> errors)
    {
        if (section[key] is not { Length: > 0 } text) return fallback;
        if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"ChatOps:{key} must be a duration (hh:mm:ss) between {min} and {max} (got '{text}')");
            return fallback;
        }

        return value;
    }

    private static int Number(IConfigurationSection section, string key, int fallback, int min, int max, List<string> errors)
    {
        if (section[key] is not { Length: > 0 } text) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"ChatOps:{key} must be a whole number between {min} and {max} (got '{text}')");
            return fallback;
        }

        return value;
    }
}
