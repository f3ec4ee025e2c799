using ChatOps.Core.Approvals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOps.Core.Identity;

public static class AccessControlExtensions
{
    /// <summary>
    /// Registers the permission policy, the command throttle and approvals (service, chat built-ins,
    /// notifier). Their stores (<c>IPolicyStore</c>, <c>IApprovalStore</c>) come from a store adapter;
    /// without them the catalog's default roles apply and high-risk commands are refused.
    /// </summary>
    public static IServiceCollection AddChatOpsAccessControl(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<CommandThrottleOptions>();
        services.AddOptions<ApprovalOptions>();
        services.AddOptions<IdentityCacheOptions>();
        services.TryAddSingleton<IdentityCache>();
        services.TryAddSingleton<AccessPolicy>();
        services.TryAddSingleton<PolicyAdmin>();
        services.TryAddSingleton<CommandThrottle>();
        services.TryAddSingleton<ApprovalService>();
        services.TryAddSingleton<ApprovalCommands>();
        services.TryAddSingleton<ApprovalNotifier>();
        return services;
    }
}
