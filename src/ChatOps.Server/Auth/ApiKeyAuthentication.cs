using ChatOps.Core.Domain;
using ChatOps.Core.Identity;

namespace ChatOps.Server.Auth;

/// <summary>A caller authenticated by <c>Authorization: Bearer &lt;api key&gt;</c>.</summary>
public sealed record ApiCaller(User User, ApiKey Key)
{
    public Requester Requester => new(User.Id, "apikey:" + Key.Id, User.DisplayName);

    public bool IsAdmin => User.Roles.Contains(Roles.Admin);
}

public static class ApiKeyAuthentication
{
    /// <summary>The caller, or null; the endpoint then answers 401 with <see cref="Unauthorized"/>.</summary>
    public static async Task<ApiCaller?> AuthenticateAsync(HttpContext context, UserDirectory users)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var result = await users.AuthenticateApiKeyAsync(header["Bearer ".Length..].Trim(), context.RequestAborted);
        return result is { } found ? new ApiCaller(found.User, found.Key) : null;
    }

    public static IResult Unauthorized() =>
        Results.Json(new { error = "unauthorized", message = "Send a valid API key as 'Authorization: Bearer <key>'." }, statusCode: StatusCodes.Status401Unauthorized);

    public static IResult Forbidden(string message) =>
        Results.Json(new { error = "forbidden", message }, statusCode: StatusCodes.Status403Forbidden);
}
