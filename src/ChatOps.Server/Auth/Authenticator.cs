using ChatOps.Core.Identity;
using ChatOps.Core.Ports;

namespace ChatOps.Server.Auth;

/// <summary>
/// Establishes who sent a request, from credentials only (never from the body): an API key or an
/// access token in <c>Authorization: Bearer</c>, or the page's access-token cookie. An access token
/// counts only while its session exists, so logout and revocation take effect at the next request.
/// Room for OIDC: an identity provider's sign-in ends in the same sessions (see <see cref="SessionService"/>).
/// </summary>
public sealed class Authenticator(UserDirectory users, AccessTokens tokens, ISessionStore sessions)
{
    public async Task<ApiCaller?> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
            var credential = header["Bearer ".Length..].Trim();
            // Access tokens are JWTs (three dot-separated parts); API keys never contain a dot.
            return credential.Contains('.', StringComparison.Ordinal)
                ? await FromAccessTokenAsync(credential, AuthMethod.AccessToken, context.RequestAborted)
                : await FromApiKeyAsync(credential, context.RequestAborted);
        }

        return context.Request.Cookies.TryGetValue(AuthCookies.Access, out var cookie)
            ? await FromAccessTokenAsync(cookie, AuthMethod.SessionCookie, context.RequestAborted)
            : null;
    }

    private async Task<ApiCaller?> FromApiKeyAsync(string key, CancellationToken cancellationToken) =>
        await users.AuthenticateApiKeyAsync(key, cancellationToken) is { } found
            ? new ApiCaller(found.User, "apikey:" + found.Key.Id, AuthMethod.ApiKey, Key: found.Key)
            : null;

    private async Task<ApiCaller?> FromAccessTokenAsync(string token, AuthMethod method, CancellationToken cancellationToken)
    {
        if (await tokens.ValidateAsync(token) is not { } claims) return null;
        if (await sessions.GetAsync(claims.UserId, claims.SessionId, cancellationToken) is null) return null;
        var user = await users.GetAsync(claims.UserId, cancellationToken);
        return user is null ? null : new ApiCaller(user, "local:" + user.Id, method, SessionId: claims.SessionId);
    }
}
