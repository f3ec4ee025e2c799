using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary><c>/api/keys</c>: API keys for automation. Admins create and revoke them; a key is shown once, the store keeps its hash.</summary>
public static class ApiKeyEndpoints
{
    public sealed record CreateBody(string? Name, string? UserId);

    public static IEndpointRouteBuilder MapApiKeyApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/keys", ListAsync);
        app.MapPost("/api/keys", CreateAsync);
        app.MapDelete("/api/keys/{id}", RevokeAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IUserStore users)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "list API keys") is { } forbidden) return forbidden;
        var keys = await users.ListApiKeysAsync(context.RequestAborted);
        return Results.Json(keys.Select(k => new { id = k.Id, userId = k.UserId, name = k.Name, createdAt = k.CreatedAt, revokedAt = k.RevokedAt, current = caller.Key?.Id == k.Id }));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IUserStore users, AuditLog audit, TimeProvider time)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "create API keys") is { } forbidden) return forbidden;
        var (body, error) = await JsonBody.ReadAsync<CreateBody>(context.Request);
        if (error is not null) return error;
        if (string.IsNullOrWhiteSpace(body!.Name) || body.Name.Length > 100 || !TextHygiene.TryNormalize(body.Name, out _, out _))
            return JsonBody.BadRequest("'name' is required: up to 100 printable characters saying what the key is for.");
        var owner = body.UserId ?? caller.User.Id;
        if (await users.GetUserAsync(owner, context.RequestAborted) is null) return Api.NotFound($"No user {owner}.");

        var key = Secrets.NewToken("co_");
        var record = new ApiKey("k" + Secrets.NewShortId(), owner, body.Name.Trim(), Secrets.Hash(key), time.GetUtcNow(), null);
        await users.CreateApiKeyAsync(record, context.RequestAborted);
        await audit.RecordAsync(caller.User.Id, "apikey.created", record.Id, "ok", $"for {owner}: {record.Name}", context.RequestAborted);
        return Results.Json(new
        {
            id = record.Id,
            userId = owner,
            name = record.Name,
            key,
            note = "The key is shown once; ChatOps keeps only its hash. Send it as 'Authorization: Bearer <key>'.",
        }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RevokeAsync(HttpContext context, string id, IUserStore users, UserDirectory directory, AuditLog audit, TimeProvider time)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "revoke API keys") is { } forbidden) return forbidden;
        if (!await users.RevokeApiKeyAsync(id, time.GetUtcNow(), context.RequestAborted)) return Api.NotFound($"No active API key {id}.");
        await directory.ForgetApiKeyAsync(id, context.RequestAborted);
        await audit.RecordAsync(caller.User.Id, "apikey.revoked", id, "ok", null, context.RequestAborted);
        return Api.Ok($"API key {id} revoked.");
    }
}
