using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary>
/// <c>/api/commands</c>: run a command (through the same intake, rules and approvals as chat), cancel
/// one, and read the history with full stored output.
/// </summary>
public static class CommandEndpoints
{
    public const string Channel = "api";

    public sealed record RunBody(string? Text, string? RequestId);

    public static IEndpointRouteBuilder MapCommandApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/commands", ListAsync);
        app.MapPost("/api/commands", RunAsync);
        app.MapGet("/api/commands/{id}", GetAsync);
        app.MapGet("/api/commands/{id}/output", GetOutputAsync);
        app.MapPost("/api/commands/{id}/cancel", CancelAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, ICommandStore commands, string? server, int? limit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view the command history", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
        var recent = await commands.ListRecentAsync(server, Math.Clamp(limit ?? 50, 1, 500), context.RequestAborted);
        return Results.Json(recent.Select(View));
    }

    /// <summary>
    /// Runs <c>text</c> exactly as if it was typed in chat by the caller: same parser, same rules, same
    /// approvals, same per-user command budget. The answer names the thread that collects its output.
    /// </summary>
    private static async Task<IResult> RunAsync(HttpContext context, WebConsole console)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        var (body, error) = await JsonBody.ReadAsync<RunBody>(context.Request);
        if (error is not null) return error;
        if (string.IsNullOrWhiteSpace(body!.Text)) return JsonBody.BadRequest("'text' is required, e.g. \"restart web-3 nginx\".");
        if (body.Text.Length > ChatApiEndpoints.MaxTextLength) return JsonBody.BadRequest($"'text' is longer than {ChatApiEndpoints.MaxTextLength} characters.");
        if (body.RequestId is { } rid && (rid.Length > 64 || !rid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            return JsonBody.BadRequest("'requestId' must be at most 64 letters, digits, '-' or '_'.");
        var result = await console.PostAsync(caller.Requester, Channel, body.Text, null, body.RequestId, context.RequestAborted);
        return Results.Json(new { text = result.Text, threadId = result.ThreadId, commandId = result.CommandId },
            statusCode: result.CommandId is null ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> CancelAsync(HttpContext context, string id, WebConsole console)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return JsonBody.BadRequest("Not a command id.");
        var result = await console.PostAsync(caller.Requester, Channel, $"cancel {id}", null, null, context.RequestAborted);
        return Results.Json(new { text = result.Text, threadId = result.ThreadId });
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, ICommandStore commands)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view the command history", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
        return await commands.GetAsync(id, context.RequestAborted) is { } command ? Results.Json(View(command)) : NotFound(id);
    }

    private static async Task<IResult> GetOutputAsync(HttpContext context, string id, ICommandStore commands)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view command output", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
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
        requestedByName = c.Requester.DisplayName,
        state = CommandStateNames.Of(c.State),
        exitCode = c.ExitCode,
        error = c.Error,
        fencingToken = c.FencingToken,
        createdAt = c.CreatedAt,
        startedAt = c.StartedAt,
        finishedAt = c.FinishedAt,
    };

    private static IResult NotFound(string id) => Api.NotFound($"No command #{id}.");
}
