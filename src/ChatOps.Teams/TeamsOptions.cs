using System.Globalization;
using ChatOps.Teams.Internal;
using Microsoft.Extensions.Configuration;

namespace ChatOps.Teams;

/// <summary>
/// Settings of the Microsoft Teams adapter (<c>ChatOps:Teams:*</c>). The password may also come
/// from a file named by <c>AppPassword_FILE</c> (a mounted Kubernetes secret). <see cref="Validate"/>
/// reports every problem at once, each naming its key.
/// </summary>
public sealed class TeamsOptions
{
    public const string SectionName = "ChatOps:Teams";
    public const string DefaultOpenIdMetadataUrl = "https://login.botframework.com/v1/.well-known/openidconfiguration";
    public const string DefaultTokenEndpoint = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token";
    public const string DefaultServiceUrl = "https://smba.trafficmanager.net/teams/";

    private readonly List<string> _readErrors = [];

    /// <summary>The bot's Microsoft App ID: the audience of every incoming token and our client id.</summary>
    public string? AppId { get; set; }

    /// <summary>The client secret of the app registration, used to get the outgoing token.</summary>
    public string? AppPassword { get; set; }

    /// <summary>When set, only activities from this Entra ID tenant are accepted.</summary>
    public string? TenantId { get; set; }

    /// <summary>Where the Bot Framework's signing keys are announced; tests point it at a fake.</summary>
    public string OpenIdMetadataUrl { get; set; } = DefaultOpenIdMetadataUrl;

    /// <summary>
    /// The client-credentials token endpoint. Single-tenant app registrations use
    /// <c>https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token</c>.
    /// </summary>
    public string TokenEndpoint { get; set; } = DefaultTokenEndpoint;

    /// <summary>
    /// URL prefixes our outgoing token may be sent to besides the serviceUrls that arrived in validated
    /// activities (those are trusted as they come). Needed when a process posts before it has received
    /// anything, e.g. after a restart or in a notifications-only process.
    /// </summary>
    public IList<string> AllowedServiceUrls { get; } = ["https://smba.trafficmanager.net/"];

    /// <summary>
    /// The service URL for proactive posts (new alert threads, <see cref="TeamsAlertChannel"/>); it is
    /// trusted like an allowed one. Use your region's (e.g. <c>https://smba.trafficmanager.net/emea/</c>).
    /// </summary>
    public string ServiceUrl { get; set; } = DefaultServiceUrl;

    /// <summary>The channel (<c>19:…@thread.tacv2</c>) an alert route with <c>channel: default</c> starts its threads in; optional.</summary>
    public string? AlertChannelId { get; set; }

    /// <summary>The largest activity body accepted on <c>/api/messages</c>.</summary>
    public int MaxActivityBytes { get; set; } = 256 * 1024;

    /// <summary>How long a message waits for its command card to be posted before it goes on without its id.</summary>
    public TimeSpan RootCardWait { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Attempts per connector or token call on 429, 412, 502, 503, 504 and network errors.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The first backoff after a throttled or failed call; doubled per attempt, ±20 % jitter.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest backoff between two attempts (a Retry-After header may ask for more).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The shortest time between two forced reloads of the signing keys (a token with an unknown key
    /// id asks for one); keeps forged key ids from turning us into a metadata-fetching loop.
    /// </summary>
    public TimeSpan KeyRefreshMinInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How much of one reply's text is sent; Teams refuses messages over about 28 KB.</summary>
    public int MaxMessageChars { get; set; } = 12_000;

    /// <summary>Reads <c>ChatOps:Teams</c>; problems (unreadable files, bad values) show up in <see cref="Validate"/>.</summary>
    public static TeamsOptions Read(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new TeamsOptions
        {
            AppId = Text(section, nameof(AppId)),
            TenantId = Text(section, nameof(TenantId)),
            AlertChannelId = Text(section, nameof(AlertChannelId)),
        };
        options.AppPassword = options.Secret(section, nameof(AppPassword));
        options.OpenIdMetadataUrl = Text(section, nameof(OpenIdMetadataUrl)) ?? options.OpenIdMetadataUrl;
        options.TokenEndpoint = Text(section, nameof(TokenEndpoint)) ?? options.TokenEndpoint;
        options.ServiceUrl = Text(section, nameof(ServiceUrl)) ?? options.ServiceUrl;

        // A list from configuration arrives as AllowedServiceUrls:0, :1, …; a comma-separated value works too.
        var allowed = section.GetSection(nameof(AllowedServiceUrls));
        var list = allowed.Value is { Length: > 0 } joined
            ? joined.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : allowed.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToArray();
        if (allowed.Exists())
        {
            options.AllowedServiceUrls.Clear();
            foreach (var url in list) options.AllowedServiceUrls.Add(url.Trim());
        }

        options.MaxActivityBytes = options.Number(section, nameof(MaxActivityBytes), options.MaxActivityBytes);
        options.MaxAttempts = options.Number(section, nameof(MaxAttempts), options.MaxAttempts);
        options.MaxMessageChars = options.Number(section, nameof(MaxMessageChars), options.MaxMessageChars);
        options.RootCardWait = options.Duration(section, nameof(RootCardWait), options.RootCardWait);
        options.RetryMinDelay = options.Duration(section, nameof(RetryMinDelay), options.RetryMinDelay);
        options.RetryMaxDelay = options.Duration(section, nameof(RetryMaxDelay), options.RetryMaxDelay);
        options.RequestTimeout = options.Duration(section, nameof(RequestTimeout), options.RequestTimeout);
        options.KeyRefreshMinInterval = options.Duration(section, nameof(KeyRefreshMinInterval), options.KeyRefreshMinInterval);
        return options;
    }

    /// <summary>Every problem at once, each naming its <c>ChatOps:Teams:…</c> key; empty when all is well.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(_readErrors);
        if (string.IsNullOrWhiteSpace(AppId))
            errors.Add($"{SectionName}:AppId is required: the Microsoft App ID of the bot registration");
        else if (AppId.Any(char.IsWhiteSpace) || AppId.Length > 128)
            errors.Add($"{SectionName}:AppId '{AppId}' is not an app id (no spaces, at most 128 characters)");
        if (string.IsNullOrEmpty(AppPassword) && !_readErrors.Any(e => e.Contains("AppPassword_FILE", StringComparison.Ordinal)))
            errors.Add($"{SectionName}:AppPassword (or {SectionName}:AppPassword_FILE) is required: the client secret the bot replies with");
        if (TenantId is { } tenant && (tenant.Any(char.IsWhiteSpace) || tenant.Length > 128))
            errors.Add($"{SectionName}:TenantId '{tenant}' is not a tenant id");

        CheckUrl(errors, nameof(OpenIdMetadataUrl), OpenIdMetadataUrl);
        CheckUrl(errors, nameof(TokenEndpoint), TokenEndpoint);
        CheckUrl(errors, nameof(ServiceUrl), ServiceUrl);
        for (var i = 0; i < AllowedServiceUrls.Count; i++)
            CheckUrl(errors, $"{nameof(AllowedServiceUrls)}:{i}", AllowedServiceUrls[i]);

        // The server refuses bodies over 1 MiB before any endpoint sees them.
        if (MaxActivityBytes is < 4096 or > 1024 * 1024)
            errors.Add($"{SectionName}:MaxActivityBytes must be between 4096 and 1048576 (got {MaxActivityBytes})");
        if (MaxAttempts is < 1 or > 50)
            errors.Add($"{SectionName}:MaxAttempts must be between 1 and 50 (got {MaxAttempts})");
        if (MaxMessageChars is < 500 or > 25_000)
            errors.Add($"{SectionName}:MaxMessageChars must be between 500 and 25000 (got {MaxMessageChars})");
        Positive(errors, nameof(RetryMinDelay), RetryMinDelay);
        Positive(errors, nameof(RetryMaxDelay), RetryMaxDelay);
        Positive(errors, nameof(RequestTimeout), RequestTimeout);
        Positive(errors, nameof(KeyRefreshMinInterval), KeyRefreshMinInterval);
        if (RootCardWait < TimeSpan.Zero || RootCardWait > TimeSpan.FromSeconds(10))
            errors.Add($"{SectionName}:RootCardWait must be between 00:00:00 and 00:00:10 (Teams gives up on a slow answer; got {RootCardWait})");
        if (RetryMaxDelay < RetryMinDelay)
            errors.Add($"{SectionName}:RetryMaxDelay ({RetryMaxDelay}) must not be shorter than RetryMinDelay ({RetryMinDelay})");
        return errors;
    }

    private static void CheckUrl(List<string> errors, string key, string? value)
    {
        if (!ServiceUrls.TryNormalize(value, out _, out var problem))
            errors.Add($"{SectionName}:{key} {problem}");
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero) errors.Add($"{SectionName}:{key} must be a positive duration such as 00:00:02 (got {value})");
    }

    private static string? Text(IConfiguration section, string key) =>
        section[key] is { } value && value.Trim().Length > 0 ? value.Trim() : null;

    private string? Secret(IConfiguration section, string key)
    {
        if (section[key + "_FILE"] is { Length: > 0 } file)
        {
            try
            {
                return File.ReadAllText(file).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _readErrors.Add($"{SectionName}:{key}_FILE points at '{file}', which cannot be read ({ex.Message})");
                return null;
            }
        }

        return Text(section, key);
    }

    private int Number(IConfiguration section, string key, int fallback)
    {
        if (section[key] is not { Length: > 0 } text) return fallback;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        _readErrors.Add($"{SectionName}:{key} must be a whole number (got '{text}')");
        return fallback;
    }

    private TimeSpan Duration(IConfiguration section, string key, TimeSpan fallback)
    {
        if (section[key] is not { Length: > 0 } text) return fallback;
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)) return value;
        _readErrors.Add($"{SectionName}:{key} must be a duration such as 00:00:05 (got '{text}')");
        return fallback;
    }
}
