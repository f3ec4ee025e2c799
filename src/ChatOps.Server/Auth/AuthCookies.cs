namespace ChatOps.Server.Auth;

/// <summary>
/// The page's cookies. All are <c>SameSite=Strict</c> (never sent on cross-site requests) and
/// <c>Secure</c> over HTTPS. The access and refresh tokens are <c>HttpOnly</c> (no script reads
/// them); the CSRF token is readable by the page's own script, which echoes it in
/// <c>X-CSRF-Token</c>: another site can neither read it nor compute it (an HMAC of the session id).
/// </summary>
public static class AuthCookies
{
    public const string Access = "chatops_at";
    public const string Refresh = "chatops_rt";
    public const string Csrf = "chatops_csrf";
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>The refresh token goes only to the endpoints that use it.</summary>
    public const string RefreshPath = "/api/auth";

    public static void Write(HttpContext context, AuthSettings settings, SessionTokens tokens)
    {
        var secure = IsSecure(context, settings);
        var responseCookies = context.Response.Cookies;
        responseCookies.Append(Access, tokens.AccessToken, Options(secure, httpOnly: true, "/", tokens.AccessExpiresAt));
        responseCookies.Append(Refresh, tokens.RefreshToken, Options(secure, httpOnly: true, RefreshPath, tokens.RefreshExpiresAt));
        responseCookies.Append(Csrf, tokens.CsrfToken, Options(secure, httpOnly: false, "/", tokens.RefreshExpiresAt));
    }

    public static void Clear(HttpContext context, AuthSettings settings)
    {
        var secure = IsSecure(context, settings);
        var past = DateTimeOffset.UnixEpoch;
        context.Response.Cookies.Append(Access, "", Options(secure, httpOnly: true, "/", past));
        context.Response.Cookies.Append(Refresh, "", Options(secure, httpOnly: true, RefreshPath, past));
        context.Response.Cookies.Append(Csrf, "", Options(secure, httpOnly: false, "/", past));
    }

    private static bool IsSecure(HttpContext context, AuthSettings settings) => settings.SecureCookies switch
    {
        SecureCookies.Always => true,
        SecureCookies.Never => false,
        _ => context.Request.IsHttps,
    };

    private static CookieOptions Options(bool secure, bool httpOnly, string path, DateTimeOffset expires) => new()
    {
        HttpOnly = httpOnly,
        Secure = secure,
        SameSite = SameSiteMode.Strict,
        Path = path,
        Expires = expires,
        IsEssential = true,
    };
}
