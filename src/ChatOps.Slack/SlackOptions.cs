using System.Globalization;
using ChatOps.Slack.Internal;
using Microsoft.Extensions.Configuration;

namespace ChatOps.Slack;

/// <summary>
/// Settings of the Slack adapter (<c>ChatOps:Slack:*</c>). Secrets may also come from a file named
/// by <c>Key_FILE</c> (mounted Kubernetes secrets). <see cref="Validate"/> reports every problem at
/// once, each naming its key.
/// </summary>
public sealed class SlackOptions
{
    public const string SectionName = "ChatOps:Slack";
    public const string DefaultApiBaseUrl = "https://slack.com/api/";

    private readonly List<string> _readErrors = [];

    /// <summary>The app's Signing Secret (Basic Information page); verifies every HTTP request from Slack.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>The bot token (<c>xoxb-…</c>) used for chat.postMessage and chat.update.</summary>
    public string? BotToken { get; set; }

    /// <summary>Slack's Web API; tests point it at a fake.</summary>
    public string ApiBaseUrl { get; set; } = DefaultApiBaseUrl;

    /// <summary>The app-level token (<c>xapp-…</c>, scope <c>connections:write</c>) for Socket Mode.</summary>
    public string? AppToken { get; set; }

    /// <summary>Receive Slack's requests over a WebSocket that we open (no public URL needed).</summary>
    public bool SocketMode { get; set; }

    /// <summary>
    /// Slack users and their roles, until the admin page manages them: <c>U0ALICE01=operator,
    /// T0TEAM001/U0BOB0001=viewer+approver</c>. Each is linked at start-up (roles are added, never
    /// removed); admins are better given with <c>ChatOps:Bootstrap:Admins</c>.
    /// </summary>
    public string? Users { get; set; }

    /// <summary>The bot's own user id (<c>U…</c>); optional, learned from events when absent.</summary>
    public string? BotUserId { get; set; }

    /// <summary>
    /// How long a request from Slack may take before it is acknowledged anyway (Slack gives up after
    /// 3 s); work that is not done by then finishes in the background and answers later.
    /// </summary>
    public TimeSpan AckBudget { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary>
    /// In a channel ChatOps posted in during the last ten minutes, acknowledge a command as soon as it
    /// is queued and post its thread root after (Slack's <c>chat.postMessage</c> takes 100–300 ms).
    /// Elsewhere, and always when false, the root is posted first, so a command typed where ChatOps
    /// cannot post is refused instead of run.
    /// </summary>
    public bool AckFirst { get; set; } = true;

    /// <summary>
    /// How long a notifier in another process waits for a root posted after the ack before the
    /// command's messages are given up (logged; the output stays on the admin page).
    /// </summary>
    public TimeSpan RootWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The pace of messages into one channel (Slack allows about one per second).</summary>
    public TimeSpan ChannelInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Thread roots that may skip the pace in a burst (Slack allows short bursts above one message per
    /// second): a root holds up its request's acknowledgement, so the first few go at once; the
    /// burst is paid back by the pace (one message per <see cref="ChannelInterval"/> over time, roots
    /// included) before another is allowed. 0 paces roots like everything else.
    /// </summary>
    public int RootBurst { get; set; } = 3;

    /// <summary>Attempts per Web API call on 5xx, timeouts and network errors (429s are waited out separately).</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The first backoff after a transient failure; doubled per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest backoff after a transient failure (a 429's Retry-After is honoured as given).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The most 429 answers waited out for one call before it fails.</summary>
    public int MaxRateLimitWaits { get; set; } = 20;

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How much output of one command is shown in Slack; the rest is pointed to on the admin API.</summary>
    public int MaxOutputChars { get; set; } = 12_000;

    /// <summary>True when any Slack setting is present, i.e. the operator means to connect Slack.</summary>
    public bool IsConfigured =>
        !string.IsNullOrEmpty(SigningSecret) || !string.IsNullOrEmpty(BotToken) || !string.IsNullOrEmpty(AppToken) || SocketMode || _readErrors.Count > 0;

    /// <summary>Reads <c>ChatOps:Slack</c>; problems (unreadable files, bad values) show up in <see cref="Validate"/>.</summary>
    public static SlackOptions Read(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new SlackOptions();
        options.SigningSecret = options.Secret(section, nameof(SigningSecret));
        options.BotToken = options.Secret(section, nameof(BotToken));
        options.AppToken = options.Secret(section, nameof(AppToken));
        if (section[nameof(ApiBaseUrl)] is { Length: > 0 } url) options.ApiBaseUrl = url;
        if (section[nameof(BotUserId)] is { Length: > 0 } bot) options.BotUserId = bot;
        if (section[nameof(Users)] is { Length: > 0 } users) options.Users = users;
        options.SocketMode = options.Flag(section, nameof(SocketMode), options.SocketMode);
        options.AckBudget = options.Duration(section, nameof(AckBudget), options.AckBudget);
        options.AckFirst = options.Flag(section, nameof(AckFirst), options.AckFirst);
        options.RootWait = options.Duration(section, nameof(RootWait), options.RootWait);
        options.ChannelInterval = options.Duration(section, nameof(ChannelInterval), options.ChannelInterval);
        options.RetryBaseDelay = options.Duration(section, nameof(RetryBaseDelay), options.RetryBaseDelay);
        options.MaxRetryDelay = options.Duration(section, nameof(MaxRetryDelay), options.MaxRetryDelay);
        options.RequestTimeout = options.Duration(section, nameof(RequestTimeout), options.RequestTimeout);
        options.MaxAttempts = options.Number(section, nameof(MaxAttempts), options.MaxAttempts);
        options.MaxRateLimitWaits = options.Number(section, nameof(MaxRateLimitWaits), options.MaxRateLimitWaits);
        options.MaxOutputChars = options.Number(section, nameof(MaxOutputChars), options.MaxOutputChars);
        options.RootBurst = options.Number(section, nameof(RootBurst), options.RootBurst);
        return options;
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(_readErrors);
        if (!SocketMode && string.IsNullOrEmpty(SigningSecret))
            errors.Add($"{Key(nameof(SigningSecret))} is required (the Signing Secret on the Slack app's Basic Information page)");
        if (string.IsNullOrEmpty(BotToken))
            errors.Add($"{Key(nameof(BotToken))} is required (the Bot User OAuth Token, xoxb-…, on the app's OAuth & Permissions page)");
        else if (!BotToken.StartsWith("xoxb-", StringComparison.Ordinal))
            errors.Add($"{Key(nameof(BotToken))} must be a bot token starting with xoxb-");
        if (SocketMode && string.IsNullOrEmpty(AppToken))
            errors.Add($"{Key(nameof(AppToken))} is required when {Key(nameof(SocketMode))} is true (an app-level token, xapp-…, with connections:write)");
        else if (AppToken is { Length: > 0 } && !AppToken.StartsWith("xapp-", StringComparison.Ordinal))
            errors.Add($"{Key(nameof(AppToken))} must be an app-level token starting with xapp-");
        if (!Uri.TryCreate(ApiBaseUrl, UriKind.Absolute, out var api) || api.Scheme is not ("https" or "http"))
            errors.Add($"{Key(nameof(ApiBaseUrl))} must be an absolute http(s) URL (got '{ApiBaseUrl}')");
        if (BotUserId is { } bot && !SlackIds.IsUserId(bot))
            errors.Add($"{Key(nameof(BotUserId))} must be a Slack user id such as U0LAN0Z89 (got '{bot}')");
        errors.AddRange(SlackUserMappings.Parse(Users, out _).Select(problem => $"{Key(nameof(Users))}: {problem}"));
        if (AckBudget <= TimeSpan.Zero || AckBudget > TimeSpan.FromSeconds(2.8))
            errors.Add($"{Key(nameof(AckBudget))} must be between 0 and 2.8 seconds: Slack gives up after 3 s");
        if (RootWait <= TimeSpan.Zero || RootWait > TimeSpan.FromHours(1)) errors.Add($"{Key(nameof(RootWait))} must be between 0 and 1 hour");
        if (ChannelInterval < TimeSpan.Zero) errors.Add($"{Key(nameof(ChannelInterval))} must not be negative");
        if (RootBurst is < 0 or > 10) errors.Add($"{Key(nameof(RootBurst))} must be between 0 and 10");
        if (RetryBaseDelay < TimeSpan.Zero) errors.Add($"{Key(nameof(RetryBaseDelay))} must not be negative");
        if (MaxRetryDelay < RetryBaseDelay) errors.Add($"{Key(nameof(MaxRetryDelay))} must be at least {Key(nameof(RetryBaseDelay))}");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add($"{Key(nameof(RequestTimeout))} must be positive");
        if (MaxAttempts is < 1 or > 20) errors.Add($"{Key(nameof(MaxAttempts))} must be between 1 and 20");
        if (MaxRateLimitWaits is < 0 or > 100) errors.Add($"{Key(nameof(MaxRateLimitWaits))} must be between 0 and 100");
        if (MaxOutputChars is < 500 or > 1_000_000) errors.Add($"{Key(nameof(MaxOutputChars))} must be between 500 and 1000000");
        return errors;
    }

    /// <summary>The base URL with a trailing slash, so method names append cleanly.</summary>
    internal Uri ApiBase => new(ApiBaseUrl.EndsWith('/') ? ApiBaseUrl : ApiBaseUrl + "/");

    private static string Key(string name) => $"{SectionName}:{name}";

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
                _readErrors.Add($"{Key(key)}_FILE points at '{file}', which cannot be read ({ex.GetType().Name})");
                return null;
            }
        }

        return section[key] is { Length: > 0 } value ? value.Trim() : null;
    }

    private TimeSpan Duration(IConfiguration section, string key, TimeSpan fallback)
    {
        if (section[key] is not { Length: > 0 } text) return fallback;
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)) return value;
        _readErrors.Add($"{Key(key)} must be a duration such as 00:00:02.5 (got '{text}')");
        return fallback;
    }

    private int Number(IConfiguration section, string key, int fallback)
    {
        if (section[key] is not { Length: > 0 } text) return fallback;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        _readErrors.Add($"{Key(key)} must be a whole number (got '{text}')");
        return fallback;
    }

    private bool Flag(IConfiguration section, string key, bool fallback)
    {
        if (section[key] is not { Length: > 0 } text) return fallback;
        if (bool.TryParse(text, out var value)) return value;
        _readErrors.Add($"{Key(key)} must be true or false (got '{text}')");
        return fallback;
    }
}
