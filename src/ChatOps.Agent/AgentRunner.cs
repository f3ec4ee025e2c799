using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Connection;
using ChatOps.Agent.Dispatch;
using ChatOps.Agent.Execution;
using ChatOps.Agent.Metrics;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent;

/// <summary>
/// A whole agent: connects to the gateway, reports heartbeats and metrics, and runs allowlisted
/// actions it is sent. Used by the <c>chatops-agent</c> executable and, in-process, by the server
/// for its local agent:
/// <code>
/// var agent = new AgentRunner(options, loggerFactory, TimeProvider.System); // throws AgentStartupException
/// await agent.RunAsync(stoppingToken);                                      // returns when stopped
/// </code>
/// </summary>
public sealed class AgentRunner
{
    private readonly AgentClient _client;
    private int _started;

    /// <summary>
    /// Checks the options, loads the allowlist and the state file. Throws
    /// <see cref="AgentStartupException"/> listing every problem found.
    /// </summary>
    public AgentRunner(AgentOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(time);

        options = options.Copy();
        var problems = options.Validate().ToList();
        AgentAllowlist? allowlist = null;
        AgentStateStore? state = null;
        if (problems.Count == 0)
        {
            try
            {
                allowlist = AgentAllowlist.Load(options.ResolvedAllowlistPath);
            }
            catch (AllowlistException e)
            {
                problems.AddRange(e.Problems);
            }

            try
            {
                state = AgentStateStore.Open(options.ResolvedStatePath);
            }
            catch (AgentStateException e)
            {
                problems.Add($"{nameof(AgentOptions.StatePath)}: {e.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw new AgentStartupException(problems);
        }

        var logger = loggerFactory.CreateLogger("ChatOps.Agent");
        var tls = AgentTls.Load(options, logger);
        var runner = new ActionRunner(
            new ActionRunnerOptions { MaxOutputBytes = options.MaxOutputBytes, WorkingDirectory = options.WorkingDirectory },
            time,
            loggerFactory.CreateLogger<ActionRunner>());
        var guard = new DispatchGuard(allowlist!, state!, options.MaxConcurrent, time, loggerFactory.CreateLogger<DispatchGuard>());
        var metrics = new HostMetricsCollector(loggerFactory.CreateLogger<HostMetricsCollector>());
        Actions = allowlist!.ActionNames;
        _client = new AgentClient(new AgentServices(options, Actions, guard, runner, metrics, time, logger, tls));
    }

    /// <summary>The allowlisted action names this agent announces.</summary>
    public IReadOnlyList<string> Actions { get; }

    /// <summary>
    /// Connects (and reconnects with backoff) until <paramref name="stoppingToken"/> fires; then
    /// cancels running commands, sends their results if it can, closes the socket and returns.
    /// </summary>
    public Task RunAsync(CancellationToken stoppingToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("this agent is already running; create another AgentRunner");
        }

        return _client.RunAsync(stoppingToken);
    }
}
