using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Server.Auth;

namespace ChatOps.Server.Admin;

/// <summary><c>/api/commands</c>: command history and full stored output.</summary>
public static class CommandEndpoints
{
    public static IEndpointRouteBuilder MapCommandApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/commands", ListAsync);
        app.MapGet("/api/commands/{id}", GetAsync);
        app.MapGet("/api/commands/{id}/output", GetOutputAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, UserDirectory users, ICommandStore commands, string? server, int? limit)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        var recent = await commands.ListRecentAsync(server, Math.Clamp(limit ?? 50, 1, 500), context.RequestAborted);
        return Results.Json(recent.Select(View));
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, UserDirectory users, ICommandStore commands)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        return await commands.GetAsync(id, context.RequestAborted) is { } command ? Results.Json(View(command)) : NotFound(id);
    }

    private static async Task<IResult> GetOutputAsync(HttpContext context, string id, UserDirectory users, ICommandStore commands)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        if (await commands.GetAsync(id, context.RequestAborted) is null) return NotFound(id);
        var chunks = await commands.GetOutputAsync(id, context.RequestAborted);
        return Results.Json(chunks.Select(c => new { seq = c.Seq, stream = c.Stream, text = c.Text, at = c.At }));
    }

    private static object View(CommandRecord c) => new
    {
        id = c.Id,
        requestId = c.RequestId,
        serverId = c.ServerId,
        command = c.CommandName,
        action = c.Action,
        text = c.Text,
        requestedBy = c.Requester.UserId,
        state = CommandStateNames.Of(c.State),
        exitCode = c.ExitCode,
        error = c.Error,
        fencingToken = c.FencingToken,
        createdAt = c.CreatedAt,
        startedAt = c.StartedAt,
        finishedAt = c.FinishedAt,
    };

    private static IResult NotFound(string id) =>
        Results.Json(new { error = "not_found", message = $"No command #{id}." }, statusCode: StatusCodes.Status404NotFound);
}
