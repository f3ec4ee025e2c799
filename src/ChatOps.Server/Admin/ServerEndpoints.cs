using System.Text.RegularExpressions;
using ChatOps.Core.Audit;
using ChatOps.Core.Domain;
using ChatOps.Core.Metrics;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary><c>/api/servers</c>: list servers with live status and latest metrics, enrol one (the answer shows its agent command line once), remove one.</summary>
public static partial class ServerEndpoints
{
    public sealed record EnrollBody(string? Id, string? Name, IReadOnlyList<string>? Tags);

    public static IEndpointRouteBuilder MapServerApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/servers", ListAsync);
        app.MapPost("/api/servers", EnrollAsync);
        app.MapDelete("/api/servers/{id}", DeleteAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IServerStore servers, IAgentRegistry registry, IMetricsCache metrics)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view servers", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
        var list = new List<object>();
        foreach (var server in await servers.ListAsync(context.RequestAborted))
        {
            var agent = await registry.GetAsync(server.Id, context.RequestAborted);
            var latest = await metrics.GetLatestAsync(server.Id, context.RequestAborted);
            list.Add(new
            {
                id = server.Id,
                name = server.Name,
                tags = server.Tags,
                online = agent is not null,
                agentVersion = agent?.Version,
                since = agent?.Since,
                metrics = latest is null ? null : new
                {
                    at = latest.At,
                    summary = MetricsSummary.Format(latest),
                    samples = latest.Samples.Select(s => new { name = s.Name, labels = s.Labels, value = s.Value }),
                },
            });
        }

        return Results.Json(list);
    }

    /// <summary>Creates the server if needed and issues a new agent token, revoking any older one.</summary>
    private static async Task<IResult> EnrollAsync(HttpContext context, IServerStore servers, IAgentCredentialStore credentials, AuditLog audit, TimeProvider time)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "enrol servers") is { } forbidden) return forbidden;
        var (body, error) = await JsonBody.ReadAsync<EnrollBody>(context.Request);
        if (error is not null) return error;
        if (body!.Id is not { } id || !ServerId().IsMatch(id))
            return JsonBody.BadRequest("'id' must be 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.");
        var tags = body.Tags ?? [];
        if (tags.Count > 32 || tags.Any(t => t is null || !Tag().IsMatch(t))) return JsonBody.BadRequest("Each tag must look like key:value, e.g. role:web (at most 32).");
        if (body.Name is { Length: > 200 }) return JsonBody.BadRequest("'name' is longer than 200 characters.");

        var now = time.GetUtcNow();
        var existing = await servers.GetAsync(id, context.RequestAborted);
        await servers.UpsertAsync(new Core.Domain.Server(id, body.Name ?? existing?.Name, tags.Count > 0 ? tags : existing?.Tags ?? [], existing?.CreatedAt ?? now), context.RequestAborted);
        var token = Secrets.NewToken("agt_");
        var generation = await credentials.EnrollAsync(id, Secrets.Hash(token), now, context.RequestAborted);
        await audit.RecordAsync(caller.User.Id, "server.enrolled", id, "ok", $"generation {generation}; tags {string.Join(",", tags)}", context.RequestAborted);

        var scheme = context.Request.Scheme == "https" ? "wss" : "ws";
        var url = $"{scheme}://{context.Request.Host}/agents/connect";
        return Results.Json(new
        {
            id,
            generation,
            token,
            agentUrl = url,
            agentCommand = $"chatops-agent --server {url} --server-id {id} --token {token}",
            note = "The token is shown once. Enrolling again revokes it.",
        }, statusCode: existing is null ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    /// <summary>Revokes the agent's token (its connection is refused from then on) and forgets the server.</summary>
    private static async Task<IResult> DeleteAsync(HttpContext context, string id, IServerStore servers, IAgentCredentialStore credentials, AuditLog audit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "remove servers") is { } forbidden) return forbidden;
        if (await servers.GetAsync(id, context.RequestAborted) is null) return Api.NotFound($"No server {id}.");
        await credentials.RevokeAsync(id, context.RequestAborted);
        await servers.DeleteAsync(id, context.RequestAborted);
        await audit.RecordAsync(caller.User.Id, "server.removed", id, "ok", "agent token revoked", context.RequestAborted);
        return Api.Ok($"Server {id} removed; its agent token no longer works.");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex ServerId();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}:[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex Tag();
}
