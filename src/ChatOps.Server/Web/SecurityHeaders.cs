namespace ChatOps.Server.Web;

/// <summary>
/// Strict defaults on every response: no framing, no sniffing, a CSP with no inline script or style,
/// and no CORS at all: ChatOps never answers with <c>Access-Control-Allow-*</c> (no wildcard, no
/// reflected origin, never <c>null</c>), so other sites cannot read its answers. Anything that tried
/// to add such a header is overruled here.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Cross-Origin-Resource-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            headers.CacheControl = "no-store";
            context.Response.OnStarting(() =>
            {
                foreach (var name in headers.Keys.Where(k => k.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase)).ToList())
                    headers.Remove(name);
                return Task.CompletedTask;
            });
            await next(context);
        });
}
