namespace ChatOps.Server.Auth;

/// <summary>
/// The only paths a request may reach without an API key or a session (deny by default: every other
/// path, including ones no endpoint serves, answers 401 to anonymous callers). Each entry says what
/// protects it instead.
/// </summary>
public static class AnonymousRoutes
{
    /// <summary>Exact paths and why they may be anonymous.</summary>
    public static readonly IReadOnlyDictionary<string, string> Exact = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/"] = "the page shell; it holds no data and loads everything through the API",
        ["/console.js"] = "static script of the page",
        ["/console.css"] = "static style of the page",
        ["/favicon.ico"] = "static (empty) icon",
        ["/healthz"] = "liveness; no data",
        ["/readyz"] = "readiness; names failing dependencies only",
        ["/metrics"] = "Prometheus scrape: counts only, no data (NetworkPolicy limits it to the monitoring namespace)",
        ["/agents/connect"] = "agent WebSocket; bearer agent token checked before the upgrade",
        ["/api/messages"] = "Bot Framework activities; JWT checked by the Teams adapter",
        ["/api/auth/login"] = "sign-in itself; password checked, throttled per name and address",
        ["/api/auth/refresh"] = "refresh-token rotation; the refresh token (and CSRF token for cookies) is the credential",
    };

    /// <summary>Path prefixes and why they may be anonymous.</summary>
    public static readonly IReadOnlyDictionary<string, string> Prefixes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/slack/"] = "Slack requests; HMAC signature checked by the Slack adapter",
    };

    public static bool IsAnonymous(PathString path)
    {
        var value = path.Value ?? "/";
        if (value.Length == 0) value = "/";
        return Exact.ContainsKey(value) || Prefixes.Keys.Any(prefix => value.StartsWith(prefix, StringComparison.Ordinal));
    }
}
