using ChatOps.Slack.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Slack;

public static class SlackEndpoints
{
    /// <summary>
    /// Maps <c>POST /slack/commands</c>, <c>/slack/events</c> and <c>/slack/interactivity</c>, each
    /// verified with the signing secret before anything is read from it. Needs <c>AddSlack</c>; maps
    /// nothing when no signing secret is configured (Socket Mode only).
    /// </summary>
    public static IEndpointRouteBuilder MapSlack(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ServiceProvider.GetService<SlackOptions>()
            ?? throw new InvalidOperationException("MapSlack needs AddSlack to be called first.");
        if (string.IsNullOrEmpty(options.SigningSecret)) return app;

        var endpoints = app.ServiceProvider.GetRequiredService<SlackHttpEndpoints>();
        app.MapPost("/slack/commands", endpoints.CommandsAsync);
        app.MapPost("/slack/events", endpoints.EventsAsync);
        app.MapPost("/slack/interactivity", endpoints.InteractivityAsync);
        return app;
    }
}
