using System.Text.RegularExpressions;
using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary>
/// <c>/api/users</c>: people and automation accounts, their roles, their chat identities (Slack
/// <c>slack:T…/U…</c>, Teams <c>teams:{tenant}/{object id}</c>), passwords and sessions. Admins only;
/// every change is one audit event.
/// </summary>
public static partial class UserEndpoints
{
    public sealed record CreateBody(string? Id, string? DisplayName, IReadOnlyList<string>? Roles, string? Password);

    public sealed record UpdateBody(string? DisplayName, IReadOnlyList<string>? Roles);

    public sealed record PasswordBody(string? Password);

    public sealed record IdentityBody(string? Identity);

    public static IEndpointRouteBuilder MapUserApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/users", ListAsync);
        app.MapPost("/api/users", CreateAsync);
        app.MapGet("/api/users/{id}", GetAsync);
        app.MapPut("/api/users/{id}", UpdateAsync);
        app.MapPost("/api/users/{id}/password", SetPasswordAsync);
        app.MapPost("/api/users/{id}/identities", LinkAsync);
        app.MapDelete("/api/users/{id}/identities", UnlinkAsync);
        app.MapGet("/api/users/{id}/sessions", ListSessionsAsync);
        app.MapDelete("/api/users/{id}/sessions", RevokeSessionsAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IUserStore users, IUserAccountStore accounts)
    {
        if (Admin(context, "list users", out var _) is { } refused) return refused;
        var list = new List<object>();
        foreach (var user in await users.ListUsersAsync(context.RequestAborted))
            list.Add(await ViewAsync(user, users, accounts, context.RequestAborted));
        return Results.Json(list);
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, IUserStore users, IUserAccountStore accounts)
    {
        if (Admin(context, "view users", out _) is { } refused) return refused;
        return await users.GetUserAsync(id, context.RequestAborted) is { } user
            ? Results.Json(await ViewAsync(user, users, accounts, context.RequestAborted))
            : Api.NotFound($"No user {id}.");
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IUserStore users, IUserAccountStore accounts, PasswordHasher hasher, AuditLog audit, TimeProvider time)
    {
        if (Admin(context, "create users", out var caller) is { } refused) return refused;
        var (body, error) = await JsonBody.ReadAsync<CreateBody>(context.Request);
        if (error is not null) return error;
        if (body!.Id is not { } id || !UserId().IsMatch(id)) return JsonBody.BadRequest("'id' must be 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.");
        if (CheckName(body.DisplayName) is { } nameProblem) return JsonBody.BadRequest(nameProblem);
        if (CheckRoles(body.Roles) is { } roleProblem) return JsonBody.BadRequest(roleProblem);
        if (body.Password is not null && PasswordHasher.Check(body.Password) is { } passwordProblem) return JsonBody.BadRequest(passwordProblem);
        if (await users.GetUserAsync(id, context.RequestAborted) is not null) return Api.Conflict($"User {id} exists already.");

        var now = time.GetUtcNow();
        var user = new User(id, body.DisplayName!.Trim(), body.Roles!.Distinct().ToList(), now);
        await users.UpsertUserAsync(user, context.RequestAborted);
        if (body.Password is not null) await accounts.SetPasswordHashAsync(id, hasher.Hash(body.Password), now, context.RequestAborted);
        await audit.RecordAsync(caller!.User.Id, "user.created", id, "ok", $"roles {string.Join(",", user.Roles)}{(body.Password is null ? "" : "; password set")}", context.RequestAborted);
        return Results.Json(await ViewAsync(user, users, accounts, context.RequestAborted), statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Renames a user or changes their roles; refuses to leave the installation without an admin.</summary>
    private static async Task<IResult> UpdateAsync(HttpContext context, string id, IUserStore users, IUserAccountStore accounts, UserDirectory directory, AuditLog audit)
    {
        if (Admin(context, "change users", out var caller) is { } refused) return refused;
        var (body, error) = await JsonBody.ReadAsync<UpdateBody>(context.Request);
        if (error is not null) return error;
        if (await users.GetUserAsync(id, context.RequestAborted) is not { } user) return Api.NotFound($"No user {id}.");
        if (body!.DisplayName is not null && CheckName(body.DisplayName) is { } nameProblem) return JsonBody.BadRequest(nameProblem);
        if (body.Roles is not null && CheckRoles(body.Roles) is { } roleProblem) return JsonBody.BadRequest(roleProblem);

        var roles = body.Roles?.Distinct().ToList() ?? [.. user.Roles];
        if (user.Roles.Contains(Roles.Admin) && !roles.Contains(Roles.Admin))
        {
            var admins = (await users.ListUsersAsync(context.RequestAborted)).Count(u => u.Roles.Contains(Roles.Admin));
            if (admins <= 1) return Api.Conflict($"{id} is the last admin; make someone else admin first.");
        }

        var updated = user with { DisplayName = body.DisplayName?.Trim() ?? user.DisplayName, Roles = roles };
        await users.UpsertUserAsync(updated, context.RequestAborted);
        // A role taken away must not linger in any process's cache (API keys, identities, sessions).
        await directory.ForgetUserAsync(id, context.RequestAborted);
        var change = $"roles {string.Join(",", user.Roles)} -> {string.Join(",", roles)}" + (updated.DisplayName == user.DisplayName ? "" : "; renamed");
        await audit.RecordAsync(caller!.User.Id, "user.updated", id, "ok", change, context.RequestAborted);
        return Results.Json(await ViewAsync(updated, users, accounts, context.RequestAborted));
    }

    /// <summary>An admin sets someone's password; their sessions end, so a leaked password stops working at once.</summary>
    private static async Task<IResult> SetPasswordAsync(HttpContext context, string id, IUserStore users, IUserAccountStore accounts, PasswordHasher hasher, ISessionStore sessions, AuditLog audit, TimeProvider time)
    {
        if (Admin(context, "set passwords", out var caller) is { } refused) return refused;
        var (body, error) = await JsonBody.ReadAsync<PasswordBody>(context.Request);
        if (error is not null) return error;
        if (await users.GetUserAsync(id, context.RequestAborted) is null) return Api.NotFound($"No user {id}.");
        if (PasswordHasher.Check(body!.Password) is { } problem) return JsonBody.BadRequest(problem);
        await accounts.SetPasswordHashAsync(id, hasher.Hash(body.Password!), time.GetUtcNow(), context.RequestAborted);
        var ended = await sessions.RevokeAllAsync(id, context.RequestAborted);
        await audit.RecordAsync(caller!.User.Id, "user.password_set", id, "ok", $"{ended} session(s) ended", context.RequestAborted);
        return Api.Ok($"Password set; {ended} session(s) of {id} were signed out.");
    }

    private static async Task<IResult> LinkAsync(HttpContext context, string id, IUserStore users, UserDirectory directory, AuditLog audit)
    {
        if (Admin(context, "link chat identities", out var caller) is { } refused) return refused;
        var (body, error) = await JsonBody.ReadAsync<IdentityBody>(context.Request);
        if (error is not null) return error;
        if (body!.Identity is not { } identity || !Identity().IsMatch(identity))
            return JsonBody.BadRequest("'identity' must look like slack:<team id>/<user id> (or slack:<user id>) or teams:<tenant id>/<AAD object id>.");
        if (await users.GetUserAsync(id, context.RequestAborted) is null) return Api.NotFound($"No user {id}.");
        var previous = await users.FindByIdentityAsync(identity, context.RequestAborted);
        await users.LinkIdentityAsync(identity, id, context.RequestAborted);
        await directory.ForgetIdentityAsync(identity, context.RequestAborted);
        await audit.RecordAsync(caller!.User.Id, "identity.linked", id, "ok", previous is null || previous.Id == id ? identity : $"{identity} (moved from {previous.Id})", context.RequestAborted);
        return Api.Ok($"{identity} is now {id}.");
    }

    private static async Task<IResult> UnlinkAsync(HttpContext context, string id, string? identity, IUserStore users, IUserAccountStore accounts, UserDirectory directory, AuditLog audit)
    {
        if (Admin(context, "unlink chat identities", out var caller) is { } refused) return refused;
        if (string.IsNullOrEmpty(identity)) return JsonBody.BadRequest("Name the identity: ?identity=slack:T1/U2.");
        if ((await users.FindByIdentityAsync(identity, context.RequestAborted))?.Id != id) return Api.NotFound($"{identity} is not linked to {id}.");
        await accounts.UnlinkIdentityAsync(identity, context.RequestAborted);
        await directory.ForgetIdentityAsync(identity, context.RequestAborted);
        await audit.RecordAsync(caller!.User.Id, "identity.unlinked", id, "ok", identity, context.RequestAborted);
        return Api.Ok($"{identity} is no longer linked to {id}.");
    }

    private static async Task<IResult> ListSessionsAsync(HttpContext context, string id, ISessionStore sessions)
    {
        if (Admin(context, "view sessions", out _) is { } refused) return refused;
        return Results.Json((await sessions.ListAsync(id, context.RequestAborted)).Select(s => AuthEndpoints.SessionView(s, null)));
    }

    private static async Task<IResult> RevokeSessionsAsync(HttpContext context, string id, SessionService sessions)
    {
        if (Admin(context, "end sessions", out var caller) is { } refused) return refused;
        var count = await sessions.RevokeAllAsync(caller!.User.Id, id, "revoked by an admin", context.RequestAborted);
        return Api.Ok($"{count} session(s) of {id} ended.");
    }

    private static IResult? Admin(HttpContext context, string what, out ApiCaller? caller)
    {
        caller = Api.Caller(context);
        return caller is null ? ApiKeyAuthentication.Unauthorized() : Api.Require(caller, what);
    }

    private static async Task<object> ViewAsync(User user, IUserStore users, IUserAccountStore accounts, CancellationToken cancellationToken) => new
    {
        id = user.Id,
        displayName = user.DisplayName,
        roles = user.Roles,
        identities = await users.ListIdentitiesAsync(user.Id, cancellationToken),
        hasPassword = await accounts.GetPasswordHashAsync(user.Id, cancellationToken) is not null,
        createdAt = user.CreatedAt,
    };

    // Names appear in chat ("approved by …"): no control, invisible or direction-changing characters.
    private static string? CheckName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "'displayName' is required."
        : name.Length > 100 ? "'displayName' is longer than 100 characters."
        : !TextHygiene.TryNormalize(name, out _, out var problem) ? "'displayName': " + problem.Replace("Command text", "the name", StringComparison.Ordinal)
        : null;

    private static string? CheckRoles(IReadOnlyList<string>? roles) =>
        roles is null ? "'roles' is required (a list, possibly empty)."
        : roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown ? $"Unknown role '{unknown}'; roles are {string.Join(", ", Roles.All)}."
        : null;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UserId();

    [GeneratedRegex("^(slack|teams):[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})?$")]
    private static partial Regex Identity();
}
