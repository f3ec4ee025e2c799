using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Ports;
using ChatOps.Email;
using ChatOps.Server.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;

namespace ChatOps.Server.Alerts;

/// <summary>The wiring of alerting in the host: options, the rules file check, channels, Quartz.</summary>
public static class AlertComposition
{
    /// <summary>Binds and checks <c>ChatOps:Alerts</c> and <c>ChatOps:Email</c>; returns every problem, each naming its key.</summary>
    public static IReadOnlyList<string> AddChatOpsAlerting(this WebApplicationBuilder builder, ChatOpsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var errors = new List<string>();
        var alerts = Bind<AlertOptions>(builder, "ChatOps:Alerts", errors);
        errors.AddRange(alerts.Validate());
        if (alerts.RulesFile is { Length: > 0 } file && (settings.Runs("alerts") || settings.Runs("scheduler")))
        {
            if (!File.Exists(file))
                errors.Add($"ChatOps:Alerts:RulesFile points at '{file}', which does not exist");
            else
                errors.AddRange(RulesFileParser.ParseFile(file).Errors.Select(e => $"ChatOps:Alerts:RulesFile '{file}': {e}"));
        }

        var services = builder.Services;
        services.Configure<AlertOptions>(o => Copy(alerts, o));
        services.AddChatOpsAlerts();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertDelivery, WebhookAlertDelivery>(_ =>
            new WebhookAlertDelivery(new HttpClient { Timeout = TimeSpan.FromSeconds(15) })));

        var email = builder.Configuration.GetSection("ChatOps:Email");
        if (email.Exists())
        {
            var smtp = Bind<SmtpOptions>(builder, "ChatOps:Email", errors);
            smtp.Password = ChatOpsSettings.SecretValue(builder.Configuration.GetSection("ChatOps"), "Email:Password", errors) ?? smtp.Password;
            errors.AddRange(smtp.Validate());
            services.AddEmailAlerts(o => Copy(smtp, o));
        }

        services.TryAddSingleton<RulesFileWatcher>();
        services.TryAddSingleton<AlertModule>();
        services.AddQuartz(_ => { });
        return errors;
    }

    private static T Bind<T>(WebApplicationBuilder builder, string section, List<string> errors) where T : new()
    {
        try
        {
            return builder.Configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{section}: {ex.Message}");
            return new T();
        }
    }

    private static void Copy<T>(T from, T to)
    {
        foreach (var property in typeof(T).GetProperties().Where(p => p.CanWrite))
            property.SetValue(to, property.GetValue(from));
    }
}
