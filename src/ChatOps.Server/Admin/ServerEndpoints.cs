using System.Text.RegularExpressions;
using ChatOps.Core.Audit;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary><c>/api/servers</c>: list servers, enrol one (the answer shows its agent command line once).</summary>
public static partial class ServerEndpoints
{
    public sealed record EnrollBody(string? Id, string? Name, IReadOnlyList<string>? Tags);

    public static IEndpointRouteBuilder MapServerApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/servers", ListAsync);
        app.MapPost("/api/servers", EnrollAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, UserDirectory users, IServerStore servers, IAgentRegistry registry)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        var list = new List<object>();
        foreach (var server in await servers.ListAsync(context.RequestAborted))
        {
            var agent = await registry.GetAsync(server.Id, context.RequestAborted);
            list.Add(new { id = server.Id, name = server.Name, tags = server.Tags, online = agent is not null, agentVersion = agent?.Version, since = agent?.Since });
        }

        return Results.Json(list);
    }

    /// <summary>Creates the server if needed and issues a new agent token, revoking any older one.</summary>
    private static async Task<IResult> EnrollAsync(HttpContext context, UserDirectory users, IServerStore servers, IAgentCredentialStore credentials, AuditLog audit, TimeProvider time)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (!caller.IsAdmin) return ApiKeyAuthentication.Forbidden("Only admins may enrol servers.");
        var (body, error) = await JsonBody.ReadAsync<EnrollBody>(context.Request);
        if (error is not null) return error;
        if (body!.Id is not { } id || !ServerId().IsMatch(id))
            return JsonBody.BadRequest("'id' must be 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.");
        var tags = body.Tags ?? [];
        if (tags.Any(t => !Tag().IsMatch(t))) return JsonBody.BadRequest("Each tag must look like key:value, e.g. role:web.");

        var now = time.GetUtcNow();
        var existing = await servers.GetAsync(id, context.RequestAborted);
        await servers.UpsertAsync(new Core.Domain.Server(id, body.Name ?? existing?.Name, tags.Count > 0 ? tags : existing?.Tags ?? [], existing?.CreatedAt ?? now), context.RequestAborted);
        var token = Secrets.NewToken("agt_");
        var generation = await credentials.EnrollAsync(id, Secrets.Hash(token), now, context.RequestAborted);
        await audit.RecordAsync(caller.User.Id, "server.enrolled", id, "ok", $"generation {generation}", context.RequestAborted);

        var scheme = context.Request.Scheme == "https" ? "wss" : "ws";
        var url = $"{scheme}://{context.Request.Host}/agents/connect";
        return Results.Json(new
        {
            id,
            generation,
            token,
            agentCommand = $"chatops-agent --server {url} --server-id {id} --token {token}",
            note = "The token is shown once. Enrolling again revokes it.",
        }, statusCode: existing is null ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex ServerId();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}:[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex Tag();
}
