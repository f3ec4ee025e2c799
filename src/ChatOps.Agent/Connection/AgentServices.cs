using ChatOps.Agent.Dispatch;
using ChatOps.Agent.Execution;
using ChatOps.Agent.Metrics;
using ChatOps.Core.Agents;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Connection;

/// <summary>What every connection of one agent shares; connections come and go, these stay.</summary>
internal sealed record AgentServices(
    AgentOptions Options,
    IReadOnlyList<string> Actions,
    DispatchGuard Guard,
    ActionRunner Runner,
    HostMetricsCollector Metrics,
    TimeProvider Time,
    ILogger Logger,
    AgentTls? Tls = null)
{
    /// <summary>
    /// Nonces of the server's signed frames already taken. Shared by every connection of this agent, so a frame
    /// replayed on a later connection is refused here too (it names the old connection anyway).
    /// </summary>
    public ReplayWindow ServerNonces { get; } = new();
}
