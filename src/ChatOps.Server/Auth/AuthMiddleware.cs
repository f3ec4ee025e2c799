using System.Globalization;
using ChatOps.Core.Ports;
using Microsoft.AspNetCore.Routing;

namespace ChatOps.Server.Auth;

/// <summary>
/// The one gate in front of every route: authenticates the caller, refuses anonymous requests to
/// anything not in <see cref="AnonymousRoutes"/> (401), enforces CSRF and Origin on state-changing
/// cookie requests (403), and applies the per-user, per-endpoint rate limit on <c>/api/</c>
/// (<c>ratelimit:{user_id}:{endpoint}</c>, 429 with Retry-After).
/// </summary>
public sealed class AuthMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, Authenticator authenticator, AccessTokens tokens, AuthSettings settings, IRateLimiter limiter)
    {
        try
        {
            await GateAsync(context, authenticator, tokens, settings, limiter);
        }
        catch (StateUnavailableException ex) when (!context.Response.HasStarted)
        {
            await Refuse(context, StatusCodes.Status503ServiceUnavailable, "unavailable", $"Not now, try again: {ex.Message}");
        }
        catch (BusUnavailableException ex) when (!context.Response.HasStarted)
        {
            await Refuse(context, StatusCodes.Status503ServiceUnavailable, "unavailable", $"Not accepted, try again: {ex.Message}");
        }
    }

    private async Task GateAsync(HttpContext context, Authenticator authenticator, AccessTokens tokens, AuthSettings settings, IRateLimiter limiter)
    {
        var request = context.Request;
        var unsafeMethod = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        if (AnonymousRoutes.IsAnonymous(request.Path))
        {
            // Sign-in is anonymous but must not be forged from another site (login CSRF).
            if (unsafeMethod && request.Path.StartsWithSegments("/api/auth", StringComparison.Ordinal) && !IsSameOrigin(request, settings))
            {
                await Refuse(context, StatusCodes.Status403Forbidden, "bad_origin", "Cross-site requests are not accepted.");
                return;
            }

            await next(context);
            return;
        }

        var caller = await authenticator.AuthenticateAsync(context);
        if (caller is null)
        {
            await Refuse(context, StatusCodes.Status401Unauthorized, "unauthorized", "Sign in, or send a valid API key as 'Authorization: Bearer <key>'.");
            return;
        }

        if (caller.Method == AuthMethod.SessionCookie && unsafeMethod)
        {
            if (!IsSameOrigin(request, settings))
            {
                await Refuse(context, StatusCodes.Status403Forbidden, "bad_origin", "Cross-site requests are not accepted.");
                return;
            }

            if (!tokens.IsValidCsrf(caller.SessionId!, request.Headers[AuthCookies.CsrfHeader].ToString()))
            {
                await Refuse(context, StatusCodes.Status403Forbidden, "csrf", $"Missing or wrong {AuthCookies.CsrfHeader} header; reload the page.");
                return;
            }
        }

        context.Features.Set(caller);
        if (RateLimitedEndpoint(context) is { } endpoint)
        {
            var decision = await limiter.TryAcquireAsync(caller.User.Id, endpoint, new RateLimitPolicy(settings.ApiPerMinute, TimeSpan.FromMinutes(1)), context.RequestAborted);
            if (!decision.Allowed)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Refuse(context, StatusCodes.Status429TooManyRequests, "rate_limited", $"Too many requests to this endpoint; try again in {seconds} s.");
                return;
            }
        }

        await next(context);
    }

    /// <summary>
    /// The endpoint name of the limit: method and route pattern (<c>GET /api/commands/{id}</c>), so ids
    /// do not make new buckets. The chat API has its own limit and the live stream is one long request.
    /// </summary>
    private static string? RateLimitedEndpoint(HttpContext context)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api", StringComparison.Ordinal)
            || path.StartsWithSegments("/api/chat", StringComparison.Ordinal)
            || path.StartsWithSegments("/api/live", StringComparison.Ordinal)) return null;
        var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        return context.Request.Method + " " + pattern;
    }

    /// <summary>
    /// Origin (or, without it, Sec-Fetch-Site) must say the request comes from this site. Browsers send
    /// Origin on every state-changing request; tools that send neither are not browsers and need the
    /// CSRF token anyway.
    /// </summary>
    private static bool IsSameOrigin(HttpRequest request, AuthSettings settings)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return request.Headers["Sec-Fetch-Site"].ToString() is "" or "same-origin" or "none";
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return false; // includes "null"
        var authority = uri.GetLeftPart(UriPartial.Authority);
        return string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            || settings.TrustedOrigins.Contains(authority, StringComparer.OrdinalIgnoreCase);
    }

    private static Task Refuse(HttpContext context, int status, string error, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error, message });
    }
}
