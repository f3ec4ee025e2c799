using System.Globalization;
using ChatOps.Core.Audit;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Server.Chat;
using Microsoft.AspNetCore.Routing;

namespace ChatOps.Server.Auth;

/// <summary><c>/api/auth/*</c>: sign in, refresh, sign out, who am I, my sessions, my password.</summary>
public static class AuthEndpoints
{
    /// <param name="Mode"><c>cookie</c> (default, for the page: tokens only in HttpOnly cookies) or <c>token</c> (for scripts: tokens in the body, no cookies).</param>
    public sealed record LoginBody(string? Username, string? Password, string? Mode);

    public sealed record RefreshBody(string? RefreshToken);

    public sealed record PasswordBody(string? CurrentPassword, string? NewPassword);

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/login", LoginAsync);
        app.MapPost("/api/auth/refresh", RefreshAsync);
        app.MapPost("/api/auth/logout", LogoutAsync);
        app.MapGet("/api/auth/me", MeAsync);
        app.MapGet("/api/auth/sessions", ListSessionsAsync);
        app.MapDelete("/api/auth/sessions/{sessionId}", RevokeSessionAsync);
        app.MapPost("/api/auth/password", ChangePasswordAsync);
        return app;
    }

    /// <summary>
    /// Browsers get HttpOnly cookies and never see a token (a script injected into the page could not
    /// steal one); scripts ask for <c>mode: token</c> and get them in the body instead.
    /// </summary>
    private static async Task<IResult> LoginAsync(HttpContext context, SessionService sessions, AuthSettings settings)
    {
        var (body, error) = await JsonBody.ReadAsync<LoginBody>(context.Request);
        if (error is not null) return error;
        if (body!.Mode is not (null or "cookie" or "token")) return JsonBody.BadRequest("'mode' must be cookie or token.");
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var result = await sessions.SignInAsync(body.Username, body.Password, address, context.Request.Headers.UserAgent.ToString(), context.RequestAborted);
        if (result.RetryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Results.Json(new { error = "rate_limited", message = result.Error }, statusCode: StatusCodes.Status429TooManyRequests);
        }

        if (result.Tokens is not { } tokens)
            return Results.Json(new { error = "unauthorized", message = result.Error }, statusCode: StatusCodes.Status401Unauthorized);
        if (body.Mode == "token") return Results.Json(TokenView(tokens));
        AuthCookies.Write(context, settings, tokens);
        return Results.Json(CookieView(tokens));
    }

    private static async Task<IResult> RefreshAsync(HttpContext context, SessionService sessions, AccessTokens tokens, AuthSettings settings)
    {
        string? presented;
        var fromCookie = false;
        if (context.Request.Cookies.TryGetValue(AuthCookies.Refresh, out var cookie) && context.Request.ContentLength is null or 0)
        {
            // From the page: the cookie travels by itself, so the CSRF token must come along.
            if (SessionService.SessionIdOf(cookie) is not { } sessionId || !tokens.IsValidCsrf(sessionId, context.Request.Headers[AuthCookies.CsrfHeader].ToString()))
                return Results.Json(new { error = "csrf", message = $"Missing or wrong {AuthCookies.CsrfHeader} header; reload the page." }, statusCode: StatusCodes.Status403Forbidden);
            presented = cookie;
            fromCookie = true;
        }
        else
        {
            var (body, error) = await JsonBody.ReadAsync<RefreshBody>(context.Request);
            if (error is not null) return error;
            presented = body!.RefreshToken;
        }

        var result = await sessions.RefreshAsync(presented, context.RequestAborted);
        if (result.Tokens is not { } fresh)
        {
            if (fromCookie) AuthCookies.Clear(context, settings);
            return Results.Json(new { error = "unauthorized", message = result.Error }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (!fromCookie) return Results.Json(TokenView(fresh));
        AuthCookies.Write(context, settings, fresh);
        return Results.Json(CookieView(fresh));
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, SessionService sessions, AuthSettings settings)
    {
        if (context.Features.Get<ApiCaller>() is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (caller.SessionId is null) return JsonBody.BadRequest("API keys have no session to end; an admin revokes the key instead.");
        await sessions.SignOutAsync(caller, context.RequestAborted);
        AuthCookies.Clear(context, settings);
        return Results.Json(new { message = "Signed out." });
    }

    private static IResult MeAsync(HttpContext context, AccessTokens tokens, EndpointDataSource endpoints)
    {
        if (context.Features.Get<ApiCaller>() is not { } caller) return ApiKeyAuthentication.Unauthorized();
        return Results.Json(new
        {
            id = caller.User.Id,
            displayName = caller.User.DisplayName,
            roles = caller.User.Roles,
            identity = caller.Identity,
            method = caller.Method.ToString(),
            csrfToken = caller.SessionId is null ? null : tokens.CsrfTokenFor(caller.SessionId),
            // Other modules' pages (alert rules, silences, routes) when this build has them.
            links = endpoints.Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.RoutePattern.Parameters.Count == 0 && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
                .Select(e => e.RoutePattern.RawText ?? "")
                .Where(p => p.StartsWith("/api/alert", StringComparison.Ordinal) || p.StartsWith("/api/silence", StringComparison.Ordinal) || p.StartsWith("/api/route", StringComparison.Ordinal))
                .Distinct().Order(StringComparer.Ordinal).ToList(),
        });
    }

    private static async Task<IResult> ListSessionsAsync(HttpContext context, ISessionStore sessions)
    {
        if (context.Features.Get<ApiCaller>() is not { } caller) return ApiKeyAuthentication.Unauthorized();
        var list = await sessions.ListAsync(caller.User.Id, context.RequestAborted);
        return Results.Json(list.Select(s => SessionView(s, caller.SessionId)));
    }

    private static async Task<IResult> RevokeSessionAsync(HttpContext context, string sessionId, SessionService sessions)
    {
        if (context.Features.Get<ApiCaller>() is not { } caller) return ApiKeyAuthentication.Unauthorized();
        return await sessions.RevokeAsync(caller.User.Id, caller.User.Id, sessionId, context.RequestAborted)
            ? Results.Json(new { message = "Session ended." })
            : Results.Json(new { error = "not_found", message = "No such session." }, statusCode: StatusCodes.Status404NotFound);
    }

    /// <summary>Changing one's own password needs the current one, and ends the user's other sessions.</summary>
    private static async Task<IResult> ChangePasswordAsync(HttpContext context, IUserAccountStore accounts, PasswordHasher hasher, ISessionStore sessionStore, AuditLog audit, TimeProvider time)
    {
        if (context.Features.Get<ApiCaller>() is not { } caller) return ApiKeyAuthentication.Unauthorized();
        var (body, error) = await JsonBody.ReadAsync<PasswordBody>(context.Request);
        if (error is not null) return error;
        if (!hasher.Verify(body!.CurrentPassword ?? "", await accounts.GetPasswordHashAsync(caller.User.Id, context.RequestAborted)))
            return ApiKeyAuthentication.Forbidden("The current password is wrong.");
        if (PasswordHasher.Check(body.NewPassword) is { } problem) return JsonBody.BadRequest(problem);
        await accounts.SetPasswordHashAsync(caller.User.Id, hasher.Hash(body.NewPassword!), time.GetUtcNow(), context.RequestAborted);
        foreach (var other in (await sessionStore.ListAsync(caller.User.Id, context.RequestAborted)).Where(s => s.Id != caller.SessionId))
            await sessionStore.RevokeAsync(caller.User.Id, other.Id, context.RequestAborted);
        await audit.RecordAsync(caller.User.Id, "user.password_changed", caller.User.Id, "ok", "own password; other sessions ended", context.RequestAborted);
        return Results.Json(new { message = "Password changed; your other sessions were signed out." });
    }

    private static object TokenView(SessionTokens tokens) => new
    {
        user = new { id = tokens.User.Id, displayName = tokens.User.DisplayName, roles = tokens.User.Roles },
        accessToken = tokens.AccessToken,
        accessTokenExpiresAt = tokens.AccessExpiresAt,
        refreshToken = tokens.RefreshToken,
        refreshTokenExpiresAt = tokens.RefreshExpiresAt,
        csrfToken = tokens.CsrfToken,
    };

    private static object CookieView(SessionTokens tokens) => new
    {
        user = new { id = tokens.User.Id, displayName = tokens.User.DisplayName, roles = tokens.User.Roles },
        accessTokenExpiresAt = tokens.AccessExpiresAt,
        refreshTokenExpiresAt = tokens.RefreshExpiresAt,
        csrfToken = tokens.CsrfToken,
    };

    internal static object SessionView(RefreshSession session, string? current) => new
    {
        id = session.Id,
        createdAt = session.CreatedAt,
        lastUsedAt = session.LastUsedAt,
        expiresAt = session.ExpiresAt,
        client = session.Client,
        current = session.Id == current,
    };
}
