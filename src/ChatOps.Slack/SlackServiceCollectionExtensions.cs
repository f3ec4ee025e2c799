using System.Net;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Slack.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack;

public static class SlackServiceCollectionExtensions
{
    /// <summary>Registers the Slack adapter from <c>ChatOps:Slack</c> (pass that section).</summary>
    public static IServiceCollection AddSlack(this IServiceCollection services, IConfiguration slackSection) =>
        services.AddSlack(SlackOptions.Read(slackSection));

    public static IServiceCollection AddSlack(this IServiceCollection services, Action<SlackOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new SlackOptions();
        configure(options);
        return services.AddSlack(options);
    }

    /// <summary>
    /// Registers the Slack adapter: the chat client the notifier posts through (platform
    /// <c>slack</c>), the alert channel the alert notifier opens threads with (routes with
    /// <c>platform: slack</c> and a channel id), the HTTP endpoint handlers (<see cref="SlackEndpoints.MapSlack"/>), and the
    /// Socket Mode connection when <see cref="SlackOptions.SocketMode"/> is on. Needs the ChatOps
    /// core (<c>AddChatOpsCore</c>) and its ports. Invalid options throw, listing every problem
    /// (call <see cref="SlackOptions.Validate"/> first to report them your own way). Registering
    /// twice is harmless: the first registration wins.
    /// </summary>
    public static IServiceCollection AddSlack(this IServiceCollection services, SlackOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("Invalid Slack settings: " + string.Join("; ", errors), nameof(options));
        if (services.Any(d => d.ServiceType == typeof(SlackOptions))) return services;

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        // The meter is the host's (it exports /metrics); without one, nothing is counted.
        services.AddSingleton(sp => new SlackWebApiClient(CreateHttpClient(), options, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SlackWebApiClient>>(), sp.GetService<ChatOpsMeter>()));
        services.AddSingleton<SlackOutbox>();
        services.AddSingleton<SlackResponder>();
        services.AddSingleton<SlackRoots>();
        services.AddSingleton<PendingRoots>();
        services.AddSingleton<SlackIdentity>();
        services.AddSingleton<SlackCommandFlow>();
        services.AddSingleton<SlashCommandHandler>();
        services.AddSingleton<SlackEventHandler>();
        services.AddSingleton<SlackInteractionHandler>();
        services.AddSingleton(sp => new SlackChatClient(
            sp.GetRequiredService<SlackOutbox>(), sp.GetRequiredService<SlackRoots>(), sp.GetRequiredService<PendingRoots>(), options,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SlackChatClient>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatClient, SlackChatClient>(sp => sp.GetRequiredService<SlackChatClient>()));
        services.AddSingleton(sp => new SlackAlertChannel(
            sp.GetRequiredService<SlackOutbox>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SlackAlertChannel>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertChannel, SlackAlertChannel>(sp => sp.GetRequiredService<SlackAlertChannel>()));

        if (!string.IsNullOrEmpty(options.Users)) services.AddSingleton<IHostedService, SlackUserLinker>();

        if (!string.IsNullOrEmpty(options.SigningSecret))
        {
            services.AddSingleton(sp => new SlackSignatureVerifier(options.SigningSecret, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<SlackHttpEndpoints>();
        }

        if (options.SocketMode)
        {
            services.AddSingleton(sp => new SlackSocketModeClient(
                sp.GetRequiredService<SlackWebApiClient>(), sp.GetRequiredService<SlashCommandHandler>(), sp.GetRequiredService<SlackEventHandler>(),
                sp.GetRequiredService<SlackInteractionHandler>(), options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SlackSocketModeClient>>()));
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SlackSocketModeClient>());
        }

        return services;
    }

    // One long-lived client; pooled connections are recycled so DNS changes are picked up.
    private static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.All,
        AllowAutoRedirect = false,
    })
    {
        // Each attempt has its own timeout (SlackOptions.RequestTimeout).
        Timeout = Timeout.InfiniteTimeSpan,
        MaxResponseContentBufferSize = 1024 * 1024,
    };
}
