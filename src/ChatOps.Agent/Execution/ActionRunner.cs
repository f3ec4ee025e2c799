using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using ChatOps.Agent.Allowlist;
using ChatOps.Core.Agents;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Execution;

/// <summary>
/// Starts a bound command as a plain argv (no shell, no option parsing of ours), streams its output,
/// and ends it (with its whole process tree) on timeout or cancel.
/// </summary>
internal sealed class ActionRunner
{
    /// <summary>Variables a child must not inherit: the agent's own credential.</summary>
    private static readonly string[] HiddenVariables = ["CHATOPS_AGENT_TOKEN", "CHATOPS_AGENT_TOKEN_FILE"];

    private const int ReadBufferBytes = 64 * 1024;

    private readonly ActionRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ActionRunner(ActionRunnerOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <param name="command">What to run.</param>
    /// <param name="timeout">When to give up; the process tree is killed then.</param>
    /// <param name="sink">Receives output chunks in order; must not throw.</param>
    /// <param name="cancellation">Cancels the command (its process tree is killed).</param>
    /// <param name="started">Told the process id once it runs (tests watch its children).</param>
    public async Task<RunOutcome> RunAsync(
        BoundCommand command,
        TimeSpan timeout,
        Func<OutputChunk, ValueTask> sink,
        CancellationToken cancellation,
        Action<int>? started = null)
    {
        var startedAt = _time.GetTimestamp();
        using var process = new Process { StartInfo = BuildStartInfo(command) };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            _logger.LogWarning("could not start {Program}: {Error}", command.Program, e.Message);
            await sink(new OutputChunk(OutputCollector.StderrName, $"could not start {command.Program}: {e.Message}\n"));
            return new RunOutcome(ResultStatuses.Failed, null, _time.GetElapsedTime(startedAt), false, 0);
        }

        started?.Invoke(process.Id);
        CloseStandardInput(process);

        var collector = new OutputCollector(_options, _time, sink);
        var forwarding = collector.PumpToSinkAsync();
        using var abandonPipes = new CancellationTokenSource();
        var readers = Task.WhenAll(
            ReadPipeAsync(process.StandardOutput.BaseStream, OutputCollector.StdoutName, collector, abandonPipes.Token),
            ReadPipeAsync(process.StandardError.BaseStream, OutputCollector.StderrName, collector, abandonPipes.Token));

        var stopReason = await WaitForExitAsync(process, timeout, cancellation);

        // Normally the pipes close with the process tree; a child that escaped the tree (it called
        // setsid and was reparented) may hold them open, and must not hold the command open too.
        if (!readers.IsCompleted)
        {
            var drained = await Task.WhenAny(readers, Task.Delay(_options.DrainGrace, _time)) == readers;
            if (!drained)
            {
                _logger.LogWarning("output pipes of {Program} (pid {Pid}) stayed open after it ended; a child process escaped the process tree", command.Program, process.Id);
                await abandonPipes.CancelAsync();
            }
        }

        await readers;
        collector.Complete();
        await forwarding;

        var status = stopReason ?? (process.ExitCode == 0 ? ResultStatuses.Succeeded : ResultStatuses.Failed);
        return new RunOutcome(status, process.ExitCode, _time.GetElapsedTime(startedAt), collector.Truncated, collector.TotalBytes);
    }

    private ProcessStartInfo BuildStartInfo(BoundCommand command)
    {
        var startInfo = new ProcessStartInfo(command.Program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            WorkingDirectory = _options.WorkingDirectory ?? "/",
        };
        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var name in HiddenVariables)
        {
            startInfo.Environment.Remove(name);
        }

        return startInfo;
    }

    /// <summary>Waits for the process; on timeout or cancel kills its tree and says which it was.</summary>
    private async Task<string?> WaitForExitAsync(Process process, TimeSpan timeout, CancellationToken cancellation)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellation);
        try
        {
            await process.WaitForExitAsync(stop.Token);
            return null;
        }
        catch (OperationCanceledException)
        {
            var reason = cancellation.IsCancellationRequested ? ResultStatuses.Cancelled : ResultStatuses.TimedOut;
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None);
            return reason;
        }
    }

    private void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own in the meantime.
        }
        catch (Win32Exception e)
        {
            _logger.LogError("could not kill process {Pid}: {Error}", process.Id, e.Message);
        }
    }

    private static void CloseStandardInput(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child already closed its end; nothing to send anyway.
        }
    }

    private static async Task ReadPipeAsync(Stream pipe, string name, OutputCollector collector, CancellationToken abandon)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
        try
        {
            while (true)
            {
                var read = await pipe.ReadAsync(buffer, abandon);
                if (read == 0)
                {
                    return;
                }

                collector.Accept(name, buffer.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The pipe broke; whatever was read has been kept.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
