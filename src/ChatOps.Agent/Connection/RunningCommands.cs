using System.Collections.Concurrent;
using System.Diagnostics;
using ChatOps.Agent.Dispatch;
using ChatOps.Agent.Execution;
using ChatOps.Core.Agents;
using ChatOps.Core.Observability;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Connection;

/// <summary>
/// The commands started over one connection. They live no longer than it: when it drops they are
/// killed (the server already told the user "agent disconnected"; orphan work helps nobody).
/// </summary>
internal sealed class RunningCommands
{
    private readonly ActionRunner _runner;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _cancels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _tasks = new(StringComparer.Ordinal);
    private volatile bool _closed;

    public RunningCommands(ActionRunner runner, ILogger logger)
    {
        _runner = runner;
        _logger = logger;
    }

    public int Count => _tasks.Count;

    /// <summary>Starts an admitted command; every frame it produces goes to <paramref name="send"/>.</summary>
    public void Start(DispatchFrame dispatch, DispatchDecision decision, Action<AgentFrame> send)
    {
        var commandId = dispatch.CommandId;
        var cancel = new CancellationTokenSource();
        _cancels[commandId] = cancel;
        send(new AcceptedFrame(commandId));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _tasks[commandId] = Task.Run(async () =>
        {
            await started.Task;
            try
            {
                await RunAsync(dispatch, decision, send, cancel.Token);
            }
            finally
            {
                decision.Slot?.Dispose();
                _cancels.TryRemove(commandId, out _);
                _tasks.TryRemove(commandId, out _);
                cancel.Dispose();
            }
        });
        started.SetResult();

        // A dispatch that raced with the connection closing must not outlive it either.
        if (_closed)
        {
            TryCancel(cancel);
        }
    }

    public bool Cancel(string commandId)
    {
        if (!_cancels.TryGetValue(commandId, out var cancel))
        {
            return false;
        }

        TryCancel(cancel);
        return true;
    }

    /// <summary>Cancels every command, including any started from now on.</summary>
    public void CancelAll()
    {
        _closed = true;
        foreach (var cancel in _cancels.Values)
        {
            TryCancel(cancel);
        }
    }

    /// <summary>Completes when every command started so far has ended and reported.</summary>
    public Task WhenAllEnded() => Task.WhenAll(_tasks.Values);

    private async Task RunAsync(DispatchFrame dispatch, DispatchDecision decision, Action<AgentFrame> send, CancellationToken cancel)
    {
        var commandId = dispatch.CommandId;
        long seq = 0;
        // A child of the admission span when it flowed here, else of the gateway's dispatch span.
        using var span = ChatOpsTracing.StartFrom("agent execute", ActivityKind.Internal, Activity.Current is null ? dispatch.TraceParent : null);
        span?.SetTag("chatops.command_id", commandId);
        span?.SetTag("chatops.action", dispatch.Action);
        try
        {
            var outcome = await _runner.RunAsync(
                decision.Command!,
                decision.Timeout,
                chunk =>
                {
                    send(new OutputFrame(commandId, ++seq, chunk.Stream, chunk.Text));
                    return ValueTask.CompletedTask;
                },
                cancel);
            _logger.LogInformation("command {CommandId} ({Action}) {Status} with exit code {ExitCode} after {DurationMs} ms, {OutputBytes} output bytes{Truncated}",
                LogText.Quote(commandId), dispatch.Action, outcome.Status, outcome.ExitCode, (long)outcome.Duration.TotalMilliseconds,
                outcome.OutputBytes, outcome.Truncated ? " (truncated)" : "");
            span?.SetTag("chatops.status", outcome.Status);
            if (outcome.Status != ResultStatuses.Succeeded) span?.SetStatus(ActivityStatusCode.Error, outcome.Status);
            SendResult(send, dispatch, new ResultFrame(commandId, outcome.Status, outcome.ExitCode, (long)outcome.Duration.TotalMilliseconds, outcome.Truncated, outcome.OutputBytes));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "command {CommandId} ({Action}) failed inside the agent", LogText.Quote(commandId), dispatch.Action);
            send(new OutputFrame(commandId, ++seq, OutputCollector.StderrName, "the agent failed while running this command; see the agent log\n"));
            span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            SendResult(send, dispatch, new ResultFrame(commandId, ResultStatuses.Failed, null, 0, false, 0));
        }
    }

    /// <summary>The result frame names its own span, so the gateway's result handling continues the trace from here.</summary>
    private static void SendResult(Action<AgentFrame> send, DispatchFrame dispatch, ResultFrame result)
    {
        using var span = ChatOpsTracing.Source.StartActivity("agent report result", ActivityKind.Producer);
        span?.SetTag("chatops.command_id", result.CommandId);
        send(result with { TraceParent = ChatOpsTracing.CurrentTraceParent() ?? dispatch.TraceParent });
    }

    private static void TryCancel(CancellationTokenSource cancel)
    {
        try
        {
            cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended while we were cancelling.
        }
    }
}
