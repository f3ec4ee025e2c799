using ChatOps.Teams.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Teams;

public static class TeamsEndpoints
{
    public const string MessagesPath = "/api/messages";

    /// <summary>
    /// Maps <c>POST /api/messages</c>, the Bot Framework messaging endpoint. Every request must carry
    /// a valid Bot Framework JWT (see <see cref="BotFrameworkTokenValidator"/>); it is the route's
    /// only authentication. Needs <see cref="TeamsServiceCollectionExtensions.AddTeams(Microsoft.Extensions.DependencyInjection.IServiceCollection, TeamsOptions)"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapTeams(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var handler = app.ServiceProvider.GetRequiredService<TeamsActivityHandler>();
        app.MapPost(MessagesPath, (HttpContext context) => handler.HandleAsync(context));
        return app;
    }
}
