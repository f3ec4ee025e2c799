using ChatOps.Core.Agents;
using ChatOps.Core.Alerts;
using ChatOps.Core.Audit;
using ChatOps.Core.Chat;
using ChatOps.Core.Chat.Web;
using ChatOps.Core.Commands;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
using ChatOps.Core.Metrics;
using ChatOps.Core.Notifications;
using ChatOps.Core.Ports;
using ChatOps.Core.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Core;

public static class ChatOpsCoreExtensions
{
    /// <summary>
    /// Registers the domain services (intake, built-ins, router, gateway, notifier, metrics ingest, alerting).
    /// Which of them run is the host's choice (<c>ChatOps:Services</c>); registering is harmless.
    /// Ports must be registered by adapters (embedded, Kafka, Redis, PostgreSQL).
    /// </summary>
    public static IServiceCollection AddChatOpsCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<RouterOptions>();
        services.AddOptions<AgentGatewayOptions>();
        services.TryAddSingleton<ICommandCatalog>(_ => new BuiltInCatalog(includeAlerts: true));
        services.TryAddSingleton(sp => new CommandParser(sp.GetRequiredService<ICommandCatalog>(), sp.GetService<CommandParserOptions>()));
        services.TryAddSingleton<CommandEventPublisher>();
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<UserDirectory>();
        services.TryAddSingleton<BuiltInCommands>();
        services.TryAddSingleton<CommandIntake>();
        services.TryAddSingleton<ThreadFinalSignal>();
        services.TryAddSingleton<WebConsole>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatClient, WebChatClient>());
        services.TryAddSingleton<CommandNotifier>();
        services.TryAddSingleton<CommandRouter>();
        services.TryAddSingleton<RouterSweeper>();
        services.TryAddSingleton<AgentGateway>();
        services.TryAddSingleton<MetricsIngestor>();
        services.AddChatOpsAlerts();
        services.AddChatOpsAccessControl();
        return services;
    }
}
