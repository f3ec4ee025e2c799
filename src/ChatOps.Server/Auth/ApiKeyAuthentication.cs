using ChatOps.Core.Domain;
using ChatOps.Core.Identity;

namespace ChatOps.Server.Auth;

/// <summary>How a caller proved who they are.</summary>
public enum AuthMethod
{
    /// <summary><c>Authorization: Bearer &lt;api key&gt;</c> (automation).</summary>
    ApiKey,

    /// <summary><c>Authorization: Bearer &lt;access token&gt;</c> from <c>/api/auth/login</c> (scripts acting as a person).</summary>
    AccessToken,

    /// <summary>The page's HttpOnly access-token cookie; state-changing requests also need the CSRF token.</summary>
    SessionCookie,
}

/// <summary>An authenticated caller of the HTTP API, established by <see cref="AuthMiddleware"/>.</summary>
public sealed record ApiCaller(User User, string Identity, AuthMethod Method, ApiKey? Key = null, string? SessionId = null)
{
    public Requester Requester => new(User.Id, Identity, User.DisplayName);

    public bool IsAdmin => User.Roles.Contains(Roles.Admin);

    /// <summary>Admins, or anyone holding one of <paramref name="roles"/>.</summary>
    public bool HasRole(params string[] roles) => IsAdmin || roles.Any(User.Roles.Contains);
}

public static class ApiKeyAuthentication
{
    /// <summary>
    /// The caller of this request, or null; the endpoint then answers 401 with <see cref="Unauthorized"/>.
    /// The middleware has authenticated the request already (API key, access token or session cookie);
    /// this reads its result, or authenticates now when the middleware is not in the pipeline.
    /// </summary>
    public static async Task<ApiCaller?> AuthenticateAsync(HttpContext context, UserDirectory users)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<ApiCaller>() is { } caller) return caller;
        return await context.RequestServices.GetRequiredService<Authenticator>().AuthenticateAsync(context);
    }

    public static IResult Unauthorized() =>
        Results.Json(new { error = "unauthorized", message = "Sign in, or send a valid API key as 'Authorization: Bearer <key>'." }, statusCode: StatusCodes.Status401Unauthorized);

    public static IResult Forbidden(string message) =>
        Results.Json(new { error = "forbidden", message }, statusCode: StatusCodes.Status403Forbidden);
}
