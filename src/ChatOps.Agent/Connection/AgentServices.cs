using ChatOps.Agent.Dispatch;
using ChatOps.Agent.Execution;
using ChatOps.Agent.Metrics;
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
    AgentTls? Tls = null);
