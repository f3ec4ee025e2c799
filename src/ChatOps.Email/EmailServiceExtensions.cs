using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Email;

public static class EmailServiceExtensions
{
    /// <summary>
    /// Alert emails: registers <see cref="SmtpAlertDelivery"/> as the <c>email</c> <see cref="IAlertDelivery"/>
    /// with <paramref name="configure"/>d <see cref="SmtpOptions"/> (validate them with <see cref="SmtpOptions.Validate"/>
    /// at start-up). Registering twice is harmless.
    /// </summary>
    public static IServiceCollection AddEmailAlerts(this IServiceCollection services, Action<SmtpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SmtpOptions>().Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertDelivery, SmtpAlertDelivery>());
        return services;
    }
}
