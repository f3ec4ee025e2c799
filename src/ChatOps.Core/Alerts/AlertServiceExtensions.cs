using ChatOps.Core.Alerts.Evaluation;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Alerts.Scheduling;
using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Core.Alerts;

public static class AlertServiceExtensions
{
    /// <summary>
    /// Registers alerting: rules, evaluator, lifecycle, silences, notifier, outbox drainer, scheduled
    /// commands and the web channel's <see cref="IAlertChannel"/>. The store ports
    /// (<see cref="IAlertStore"/> and friends) come from the store adapter; more channels
    /// (<see cref="IAlertChannel"/>, <see cref="IAlertDelivery"/>) from their adapters. Registering twice is harmless.
    /// </summary>
    public static IServiceCollection AddChatOpsAlerts(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AlertOptions>();
        services.TryAddSingleton<AlertRuleSet>();
        services.TryAddSingleton<AlertRuleService>();
        services.TryAddSingleton<AlertLifecycle>();
        services.TryAddSingleton<SilenceService>();
        services.TryAddSingleton<AlertCommands>();
        services.TryAddSingleton<AlertEvaluator>();
        services.TryAddSingleton<AlertNotifier>();
        services.TryAddSingleton<OutboxDrainer>();
        services.TryAddSingleton<ScheduledCommandRunner>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertChannel, WebAlertChannel>());
        return services;
    }
}
