using System.Globalization;
using ChatOps.Core.Chat.Web;
using ChatOps.Core.Identity;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Server.Auth;
using ChatOps.Server.Hosting;

namespace ChatOps.Server.Chat;

/// <summary>The built-in chat channel: a chat that needs no Slack, for the console page and for scripts.</summary>
public static class ChatApiEndpoints
{
    /// <summary>The longest message accepted (Slack's own limit is 40,000; commands are short).</summary>
    public const int MaxTextLength = 4000;

    public sealed record PostMessageBody(string? Text, string? User, string? Channel, string? ThreadId, string? RequestId);

    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/chat/messages", PostMessageAsync);
        app.MapGet("/api/chat/threads/{threadId}", GetThreadAsync);
        return app;
    }

    private static async Task<IResult> PostMessageAsync(HttpContext context, UserDirectory users, WebConsole console, IRateLimiter limiter, ChatOpsSettings settings, ChatOpsMeter meter)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is not { } caller) return ApiKeyAuthentication.Unauthorized();

        var limit = await limiter.TryAcquireAsync(caller.User.Id, "chat", new RateLimitPolicy(settings.ChatRateLimitPerMinute, TimeSpan.FromMinutes(1)), context.RequestAborted);
        if (!limit.Allowed)
        {
            meter.RateLimited.Add(1, new KeyValuePair<string, object?>("endpoint", "chat"));
            context.Response.Headers.RetryAfter = Math.Ceiling(limit.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Results.Json(new { error = "rate_limited", message = $"Slow down: try again in {Math.Ceiling(limit.RetryAfter.TotalSeconds)} s." }, statusCode: StatusCodes.Status429TooManyRequests);
        }

        var (body, error) = await JsonBody.ReadAsync<PostMessageBody>(context.Request);
        if (error is not null) return error;
        if (string.IsNullOrWhiteSpace(body!.Text)) return JsonBody.BadRequest("'text' is required, e.g. \"/chatops run uptime on local\".");
        if (body.Text.Length > MaxTextLength) return JsonBody.BadRequest($"'text' is longer than {MaxTextLength} characters.");
        if (body.RequestId is { } rid && (rid.Length > 64 || !rid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            return JsonBody.BadRequest("'requestId' must be at most 64 letters, digits, '-' or '_'.");
        if (body.ThreadId is { Length: > 64 }) return JsonBody.BadRequest("'threadId' is too long.");

        // Identity comes from the API key only: a 'user' field in the body is never trusted.
        var result = await console.PostAsync(caller.Requester, body.Channel, body.Text, body.ThreadId, body.RequestId, context.RequestAborted);
        meter.ChatRequests.Add(1, new KeyValuePair<string, object?>("platform", "web"), new KeyValuePair<string, object?>("outcome", result.CommandId is null ? "answered" : "queued"));
        return Results.Json(new { text = result.Text, threadId = result.ThreadId, commandId = result.CommandId });
    }

    /// <summary>
    /// The thread. With <c>?wait=final</c> the answer waits (up to <c>timeoutMs</c>, default 10 s, at most 60 s)
    /// until the command reached its end, so scripts need not poll.
    /// </summary>
    private static async Task<IResult> GetThreadAsync(HttpContext context, string threadId, string? wait, int? timeoutMs, UserDirectory users, WebConsole console)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (wait is not null and not "final") return JsonBody.BadRequest("'wait' may only be 'final'.");
        var view = wait is null
            ? await console.GetThreadAsync(threadId, caller.User.Id, caller.IsAdmin, context.RequestAborted)
            : await console.WaitForFinalAsync(threadId, caller.User.Id, caller.IsAdmin, TimeSpan.FromMilliseconds(Math.Clamp(timeoutMs ?? 10_000, 0, 60_000)), context.RequestAborted);
        if (view is null) return Results.Json(new { error = "not_found", message = $"No thread {threadId}." }, statusCode: StatusCodes.Status404NotFound);
        return Results.Json(new
        {
            threadId = view.ThreadId,
            status = view.Status,
            commandId = view.CommandId,
            messages = view.Messages.Select(m => new { seq = m.Seq, author = m.Author, text = m.Text, at = m.At }),
        });
    }
}
