using ChatOps.Core.Domain;
using ChatOps.Server.Auth;

namespace ChatOps.Server.Admin;

/// <summary>The small vocabulary every admin endpoint speaks: who is calling, may they, and the error shapes.</summary>
internal static class Api
{
    /// <summary>The caller the middleware authenticated (null only if the middleware is missing).</summary>
    public static ApiCaller? Caller(HttpContext context) => context.Features.Get<ApiCaller>();

    /// <summary>Null when the caller holds one of <paramref name="roles"/> (admins always do), else the 403.</summary>
    public static IResult? Require(ApiCaller caller, string what, params string[] roles) =>
        caller.HasRole(roles) ? null : ApiKeyAuthentication.Forbidden($"You ({caller.User.DisplayName}) may not {what}: that needs the role {string.Join(" or ", roles.Append(Roles.Admin).Distinct())}.");

    public static IResult NotFound(string message) =>
        Results.Json(new { error = "not_found", message }, statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string message) =>
        Results.Json(new { error = "conflict", message }, statusCode: StatusCodes.Status409Conflict);

    public static IResult Ok(string message) => Results.Json(new { message });
}
