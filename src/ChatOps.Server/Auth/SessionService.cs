using System.Text;
using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;

namespace ChatOps.Server.Auth;

/// <summary>What a sign-in or refresh hands out. The refresh token is shown to the client once; the store keeps its hash.</summary>
public sealed record SessionTokens(
    User User,
    string SessionId,
    string AccessToken,
    DateTimeOffset AccessExpiresAt,
    string RefreshToken,
    DateTimeOffset RefreshExpiresAt,
    string CsrfToken);

/// <summary>Sign-in result: tokens, or a reason for the client that never says whether the account exists.</summary>
public sealed record SignInResult(SessionTokens? Tokens, string? Error, TimeSpan? RetryAfter = null);

/// <summary>
/// Local sign-in and the sessions behind it: password check (PBKDF2, constant time, same work for
/// unknown users), per-name and per-address throttling, refresh-token rotation with reuse detection,
/// logout and revocation. Every sign-in, failed sign-in, logout and revocation is one audit event.
/// An OIDC sign-in would end in <see cref="StartSessionAsync"/> the same way.
/// </summary>
public sealed class SessionService(
    IUserStore users,
    IUserAccountStore accounts,
    ISessionStore sessions,
    PasswordHasher hasher,
    AccessTokens tokens,
    IRateLimiter limiter,
    AuditLog audit,
    AuthSettings settings,
    TimeProvider time)
{
    public const string LoginEndpoint = "login";
    private const string RefreshPrefix = "rt1";
    private const string GenericFailure = "Wrong user name or password.";

    public async Task<SignInResult> SignInAsync(string? userName, string? password, string clientAddress, string? client, CancellationToken cancellationToken)
    {
        var name = (userName ?? "").Trim();
        var shownName = name.Length > 64 ? TextHygiene.Escape(name[..64]) + "…" : TextHygiene.Escape(name);
        // Per account name, and (looser, since a proxy or an office shares one address) per client address.
        var policy = new RateLimitPolicy(settings.LoginPerMinute, TimeSpan.FromMinutes(1));
        var byAddress = await limiter.TryAcquireAsync("ip:" + clientAddress, LoginEndpoint, policy with { Limit = policy.Limit * 5 }, cancellationToken);
        var byName = name.Length == 0 ? byAddress : await limiter.TryAcquireAsync("name:" + name.ToLowerInvariant(), LoginEndpoint, policy, cancellationToken);
        if (!byAddress.Allowed || !byName.Allowed)
        {
            var wait = byAddress.RetryAfter > byName.RetryAfter ? byAddress.RetryAfter : byName.RetryAfter;
            return new SignInResult(null, "Too many sign-in attempts; try again later.", wait);
        }

        if (name.Length is 0 or > 128 || string.IsNullOrEmpty(password) || password.Length > PasswordHasher.MaxPasswordLength)
        {
            hasher.Verify(password ?? "", null);
            await audit.RecordAsync("anonymous", "login.failed", shownName, "denied", $"malformed sign-in from {clientAddress}", cancellationToken);
            return new SignInResult(null, GenericFailure);
        }

        var user = await users.GetUserAsync(name, cancellationToken);
        var stored = user is null ? null : await accounts.GetPasswordHashAsync(user.Id, cancellationToken);
        if (!hasher.Verify(password, stored) || user is null)
        {
            await audit.RecordAsync("anonymous", "login.failed", shownName, "denied", $"wrong user name or password from {clientAddress}", cancellationToken);
            return new SignInResult(null, GenericFailure);
        }

        if (hasher.NeedsRehash(stored!)) await accounts.SetPasswordHashAsync(user.Id, hasher.Hash(password), time.GetUtcNow(), cancellationToken);
        var session = await StartSessionAsync(user, client, cancellationToken);
        await audit.RecordAsync(user.Id, "login.succeeded", user.Id, "ok", $"password sign-in from {clientAddress}, session {session.SessionId}", cancellationToken);
        return new SignInResult(session, null);
    }

    /// <summary>Creates a session for an authenticated user (password today, an identity provider later).</summary>
    public async Task<SessionTokens> StartSessionAsync(User user, string? client, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var sessionId = Secrets.NewShortId(16);
        var refresh = NewRefreshToken(user.Id, sessionId);
        var expires = now + settings.RefreshTokenLifetime;
        var cleanClient = client is null ? null : TextHygiene.Escape(client.Length > 200 ? client[..200] : client);
        await sessions.CreateAsync(new RefreshSession(sessionId, user.Id, Secrets.Hash(refresh), now, expires, now, cleanClient), cancellationToken);
        return Tokens(user, sessionId, refresh, expires);
    }

    /// <summary>Rotates a refresh token. A token used twice revokes its session (it was copied).</summary>
    public async Task<SignInResult> RefreshAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (!TryParseRefresh(refreshToken, out var userId, out var sessionId)) return new SignInResult(null, "The refresh token is not valid; sign in again.");
        var session = await sessions.GetAsync(userId, sessionId, cancellationToken);
        var user = session is null ? null : await users.GetUserAsync(userId, cancellationToken);
        if (session is null || user is null) return new SignInResult(null, "The session has ended; sign in again.");

        var replacement = NewRefreshToken(userId, sessionId);
        switch (await sessions.RotateAsync(userId, sessionId, Secrets.Hash(refreshToken!), Secrets.Hash(replacement), time.GetUtcNow(), cancellationToken))
        {
            case RotationOutcome.Rotated:
                return new SignInResult(Tokens(user, sessionId, replacement, session.ExpiresAt), null);
            case RotationOutcome.Reused:
                await audit.RecordAsync(userId, "session.revoked", sessionId, "denied", "a refresh token was used twice (possibly stolen); the session was ended", cancellationToken);
                return new SignInResult(null, "This session was ended because its refresh token was used twice; sign in again.");
            default:
                return new SignInResult(null, "The session has ended; sign in again.");
        }
    }

    /// <summary>The session a refresh token names, without checking it (for CSRF on the refresh endpoint).</summary>
    public static string? SessionIdOf(string? refreshToken) => TryParseRefresh(refreshToken, out _, out var sessionId) ? sessionId : null;

    public async Task SignOutAsync(ApiCaller caller, CancellationToken cancellationToken)
    {
        if (caller.SessionId is null) return;
        await sessions.RevokeAsync(caller.User.Id, caller.SessionId, cancellationToken);
        await audit.RecordAsync(caller.User.Id, "logout", caller.User.Id, "ok", $"session {caller.SessionId}", cancellationToken);
    }

    public async Task<bool> RevokeAsync(string actorUserId, string userId, string sessionId, CancellationToken cancellationToken)
    {
        if (!await sessions.RevokeAsync(userId, sessionId, cancellationToken)) return false;
        await audit.RecordAsync(actorUserId, "session.revoked", userId, "ok", $"session {sessionId}", cancellationToken);
        return true;
    }

    public async Task<int> RevokeAllAsync(string actorUserId, string userId, string why, CancellationToken cancellationToken)
    {
        var count = await sessions.RevokeAllAsync(userId, cancellationToken);
        await audit.RecordAsync(actorUserId, "session.revoked", userId, "ok", $"all {count} session(s): {why}", cancellationToken);
        return count;
    }

    private SessionTokens Tokens(User user, string sessionId, string refresh, DateTimeOffset refreshExpires)
    {
        var access = tokens.Issue(user.Id, sessionId, out var accessExpires);
        return new SessionTokens(user, sessionId, access, accessExpires, refresh, refreshExpires, tokens.CsrfTokenFor(sessionId));
    }

    private static string NewRefreshToken(string userId, string sessionId) =>
        $"{RefreshPrefix}.{AccessTokens.Encode(Encoding.UTF8.GetBytes(userId))}.{sessionId}.{Secrets.NewToken("")}";

    private static bool TryParseRefresh(string? token, out string userId, out string sessionId)
    {
        userId = sessionId = "";
        if (string.IsNullOrEmpty(token) || token.Length > 1024) return false;
        var parts = token.Split('.');
        if (parts.Length != 4 || parts[0] != RefreshPrefix || parts[2].Length is 0 or > 64 || parts[3].Length < 32) return false;
        try
        {
            userId = Encoding.UTF8.GetString(AccessTokens.Decode(parts[1]));
        }
        catch (FormatException)
        {
            return false;
        }

        sessionId = parts[2];
        return userId.Length > 0;
    }
}
