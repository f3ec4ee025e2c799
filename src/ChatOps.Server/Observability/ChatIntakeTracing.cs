using System.Diagnostics;
using ChatOps.Core.Observability;

namespace ChatOps.Server.Observability;

/// <summary>
/// Starts the root span of a command's trace where chat messages enter (the built-in chat API, Slack,
/// Teams): it continues the caller's W3C <c>traceparent</c> header when there is one, else it starts a
/// new trace. Every later hop (bus, router, gateway, agent) continues it.
/// </summary>
public static class ChatIntakeTracing
{
    private static readonly string[] IntakePaths = ["/api/chat/messages", "/slack/commands", "/slack/events", "/slack/interactivity", "/api/messages"];

    public static IApplicationBuilder UseChatIntakeTracing(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path.Value ?? "";
        if (!HttpMethods.IsPost(context.Request.Method) || !IntakePaths.Contains(path, StringComparer.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        // The span's parent is the caller's traceparent (or none): not ASP.NET's own request activity,
        // which is not exported and would leave the trace's root pointing at a span nobody has.
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            using var span = ChatOpsTracing.StartFrom("chat " + path, ActivityKind.Server, context.Request.Headers["traceparent"].ToString());
            span?.SetTag("http.request.method", context.Request.Method);
            span?.SetTag("url.path", path);
            await next(context);
            span?.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.Response.StatusCode >= 500) span?.SetStatus(ActivityStatusCode.Error);
        }
        finally
        {
            Activity.Current = previous;
        }
    });
}
