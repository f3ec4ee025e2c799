using System.Net;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ChatOps.Teams;

public static class TeamsServiceCollectionExtensions
{
    /// <summary>Registers the Teams adapter from <c>ChatOps:Teams</c> (pass that section).</summary>
    public static IServiceCollection AddTeams(this IServiceCollection services, IConfiguration teamsSection) =>
        services.AddTeams(TeamsOptions.Read(teamsSection));

    /// <summary>
    /// Registers the Microsoft Teams adapter: the token validator, the connector client with its
    /// per-conversation outbox, the chat client the notifier posts through (platform <c>teams</c>),
    /// the alert channel (<see cref="TeamsAlertChannel"/>, an <see cref="IAlertChannel"/>), and the handler behind <see cref="TeamsEndpoints.MapTeams"/>. Needs the ChatOps core
    /// (<c>AddChatOpsCore</c>) and its ports. Invalid options throw, listing every problem (call
    /// <see cref="TeamsOptions.Validate"/> first to report them your own way). Registering twice is
    /// harmless: the first registration wins.
    /// </summary>
    public static IServiceCollection AddTeams(this IServiceCollection services, TeamsOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("Invalid Teams settings: " + string.Join("; ", errors), nameof(options));
        if (services.Any(d => d.ServiceType == typeof(TeamsOptions))) return services;

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new TeamsHttp(CreateHttpClient()));
        services.AddSingleton<ServiceUrls>();
        services.TryAddSingleton<Pause>();
        services.AddSingleton(sp => new BotFrameworkTokenValidator(options, sp.GetRequiredService<TeamsHttp>().Client,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BotFrameworkTokenValidator>>()));
        // The meter is optional: hosts without /metrics do not register it.
        services.AddSingleton(sp => new TeamsMetrics(sp.GetService<ChatOpsMeter>()));
        services.AddSingleton(sp => new ResilientHttp(sp.GetRequiredService<TeamsHttp>().Client, options, sp.GetRequiredService<Pause>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TeamsConnectorClient>>(), sp.GetRequiredService<TeamsMetrics>()));
        services.AddSingleton<ConnectorTokens>();
        services.AddSingleton(sp => new TeamsConnectorClient(sp.GetRequiredService<ResilientHttp>(), sp.GetRequiredService<ConnectorTokens>(), sp.GetRequiredService<ServiceUrls>()));
        services.AddSingleton<ConversationOutbox>();
        services.AddSingleton<RootCards>();
        services.AddSingleton<ApprovalCards>();
        services.AddSingleton<TeamsIdentity>();
        services.AddSingleton<TeamsActivityHandler>();
        services.AddSingleton(sp => new TeamsChatClient(sp.GetRequiredService<ConversationOutbox>(), sp.GetRequiredService<RootCards>(),
            sp.GetRequiredService<ApprovalCards>(), sp.GetRequiredService<ServiceUrls>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatClient, TeamsChatClient>(sp => sp.GetRequiredService<TeamsChatClient>()));
        services.AddSingleton(sp => new TeamsAlertChannel(sp.GetRequiredService<ConversationOutbox>(), options, sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertChannel, TeamsAlertChannel>(sp => sp.GetRequiredService<TeamsAlertChannel>()));
        return services;
    }

    // One long-lived client for metadata, tokens and the connector; pooled connections are recycled
    // so DNS changes are picked up. No redirects: the token must not follow one to another host.
    private static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.All,
        AllowAutoRedirect = false,
    })
    {
        // Each attempt has its own timeout (TeamsOptions.RequestTimeout).
        Timeout = Timeout.InfiniteTimeSpan,
        MaxResponseContentBufferSize = 1024 * 1024,
    };
}
