using System.Text;
using ChatOps.Server.Auth;

namespace ChatOps.Server.Web;

/// <summary><c>GET /api/live</c>: server-sent events for the page (agents online/offline, metrics, command and approval steps).</summary>
public static class LiveEndpoint
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapLiveFeed(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/live", StreamAsync);
        return app;
    }

    private static async Task StreamAsync(HttpContext context, LiveFeed feed, TimeProvider time)
    {
        if (context.Features.Get<ApiCaller>() is null)
        {
            await ApiKeyAuthentication.Unauthorized().ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        using var client = feed.Join();
        var output = context.Response.Body;
        var cancel = context.RequestAborted;
        try
        {
            await WriteAsync(output, "retry: 3000\n: connected\n\n", cancel);
            Task<bool>? waiting = null;
            while (!cancel.IsCancellationRequested)
            {
                // One pending wait at a time (a single-reader channel), kept across heartbeats.
                waiting ??= client.Messages.WaitToReadAsync(cancel).AsTask();
                bool ready;
                try
                {
                    ready = await waiting.WaitAsync(Heartbeat, time, cancel);
                }
                catch (TimeoutException)
                {
                    await WriteAsync(output, ": ping\n\n", cancel);
                    continue;
                }

                waiting = null;
                if (!ready) return;
                while (client.Messages.TryRead(out var message))
                    await WriteAsync(output, $"event: {message.Event}\ndata: {message.Data}\n\n", cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away.
        }
    }

    private static async Task WriteAsync(Stream output, string text, CancellationToken cancellationToken)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await output.FlushAsync(cancellationToken);
    }
}
