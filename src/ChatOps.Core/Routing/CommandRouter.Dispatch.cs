using System.Diagnostics;
using System.Text.Json;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Routing;

public sealed partial class CommandRouter
{
    /// <summary>
    /// Starts the oldest queued command of a server if its lock is free. Serialised per server in
    /// this process; across processes the lock and the conditional transitions keep it single.
    /// </summary>
    public async Task TryStartNextAsync(string serverId, CancellationToken cancellationToken)
    {
        var gate = _serverGates.GetOrAdd(serverId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                var queued = await commands.ListByStateAsync([CommandState.Queued], serverId, 1, cancellationToken);
                if (queued.Count == 0) return;
                if (!await TryStartAsync(queued[0], cancellationToken)) return;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>True when the command left the queue (dispatched or failed), so the next may be tried.</summary>
    private async Task<bool> TryStartAsync(CommandRecord command, CancellationToken cancellationToken)
    {
        // Started by the sweeper or by the previous command's end, there is no span yet: continue the
        // command's own trace, so this step's log lines carry its trace id too.
        using var span = Activity.Current is null
            ? ChatOpsTracing.StartFrom("router start queued command", ActivityKind.Internal, CommandTraceContexts.For(command.Id, command.ServerId))
            : null;
        LockLease? lease;
        try
        {
            var description = $"#{command.Id} ({command.Requester.DisplayName}, {command.CommandName})";
            lease = await locks.TryAcquireAsync(command.ServerId, command.Id, description, _options.LockTtl, cancellationToken);
        }
        catch (StateUnavailableException ex)
        {
            return await FailQueuedAsync(command, FailureReasons.StateUnavailable, $"Not run: the lock service is unavailable ({ex.Message}). Try again in a moment.", cancellationToken);
        }

        if (lease is null)
        {
            await AnnounceWaitingAsync(command, cancellationToken);
            return false;
        }

        var agent = await registry.GetAsync(command.ServerId, cancellationToken);
        if (agent is null)
        {
            await locks.ReleaseAsync(lease, cancellationToken);
            return await FailQueuedAsync(command, FailureReasons.AgentOffline, $"The agent on `{command.ServerId}` is offline, so `{command.Text}` was not run.", cancellationToken);
        }

        var now = time.GetUtcNow();
        if (!await commands.TryTransitionAsync(command.Id, [CommandState.Queued], CommandState.Dispatched,
                new CommandUpdate { FencingToken = lease.FencingToken }, cancellationToken))
        {
            await locks.ReleaseAsync(lease, cancellationToken); // someone else moved it (cancel, another router)
            return true;
        }

        var (named, positional) = DispatchArgs.Decode(command.Args);
        var dispatch = new GatewayDispatch(command.Id, command.ServerId, agent.ConnectionId, command.Action ?? command.CommandName,
            named, positional, lease.FencingToken, (long)command.Timeout.TotalMilliseconds, now, now + _options.DispatchValidity, command.ReplyTo);
        var receivers = await pubSub.PublishAsync(GatewayChannels.ForNode(agent.NodeId), JsonSerializer.Serialize<GatewayMessage>(dispatch, ChatOpsJson.Options), cancellationToken);
        if (receivers == 0)
        {
            await FinishAsync(command.Id, CommandState.Failed, new CommandUpdate { Error = "agent offline", FinishedAt = now }, cancellationToken);
            await events.FailedAsync(new CommandFailed(command.Id, command.ServerId, FailureReasons.AgentOffline,
                $"The agent on `{command.ServerId}` is offline (its gateway node {agent.NodeId} did not answer), so `{command.Text}` was not run.", command.ReplyTo), cancellationToken);
            return true;
        }

        LogDispatched(command.Id, command.ServerId, lease.FencingToken, agent.NodeId);
        await events.PublishAsync(EventTypes.CommandDispatched, command.ServerId,
            new CommandDispatched(command.Id, command.ServerId, dispatch.Action, lease.FencingToken, agent.NodeId, command.ReplyTo), cancellationToken);
        return true;
    }

    private async Task AnnounceWaitingAsync(CommandRecord command, CancellationToken cancellationToken)
    {
        var holder = await locks.GetHolderAsync(command.ServerId, cancellationToken);
        if (holder is null || holder.OwnerId == command.Id) return;
        var heldFor = time.GetUtcNow() - holder.AcquiredAt;
        var heldBy = $"{holder.Description}, {Math.Max(0, (int)heldFor.TotalSeconds)} s";
        await events.PublishAsync(EventTypes.CommandWaiting, command.ServerId, new CommandWaiting(command.Id, command.ServerId, heldBy, command.ReplyTo), cancellationToken);
    }

    private async Task<bool> FailQueuedAsync(CommandRecord command, string reason, string message, CancellationToken cancellationToken)
    {
        if (await commands.TryTransitionAsync(command.Id, [CommandState.Queued], CommandState.Failed,
                new CommandUpdate { Error = message, FinishedAt = time.GetUtcNow() }, cancellationToken))
        {
            LogRejected(command.Id, reason, message);
            await events.FailedAsync(new CommandFailed(command.Id, command.ServerId, reason, message, command.ReplyTo), cancellationToken);
        }

        return true;
    }

    private async Task OnCompletedAsync(CommandCompleted completed, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var state = completed.Status switch
        {
            ResultStatuses.Succeeded => CommandState.Succeeded,
            ResultStatuses.TimedOut => CommandState.TimedOut,
            ResultStatuses.Cancelled => CommandState.Cancelled,
            _ => CommandState.Failed,
        };
        await FinishAsync(completed.CommandId, state, new CommandUpdate { ExitCode = completed.ExitCode, FinishedAt = at }, cancellationToken);
    }

    /// <summary>Moves an active command to a terminal state, frees its server and starts the next one.</summary>
    private async Task FinishAsync(string commandId, CommandState state, CommandUpdate update, CancellationToken cancellationToken)
    {
        var command = await commands.GetAsync(commandId, cancellationToken);
        if (command is null) return;
        // Already terminal (e.g. our own CommandFailed coming back after we failed it): the transition
        // could not match, so skip the write it would cost.
        var finished = CommandStates.Active.Contains(command.State)
            && await commands.TryTransitionAsync(commandId, CommandStates.Active, state, update, cancellationToken);
        if (command.FencingToken is { } token)
            await locks.ReleaseAsync(new LockLease(command.ServerId, command.Id, token, time.GetUtcNow()), cancellationToken);
        if (finished)
        {
            LogFinished(commandId, state);
            await audit.RecordAsync(command.Requester.UserId, "command.finished", commandId, state.ToString().ToLowerInvariant(), update.Error, cancellationToken);
        }

        await TryStartNextAsync(command.ServerId, cancellationToken);
    }

    private async Task OnCancelRequestedAsync(CommandCancelRequested cancel, CancellationToken cancellationToken)
    {
        var command = await commands.GetAsync(cancel.CommandId, cancellationToken);
        if (command is null) return;
        await audit.RecordAsync(cancel.By.UserId, "command.cancel", command.Id, "ok", null, cancellationToken);

        if (await commands.TryTransitionAsync(command.Id, [CommandState.Queued, CommandState.AwaitingApproval], CommandState.Cancelled,
                new CommandUpdate { Error = $"cancelled by {cancel.By.DisplayName}", FinishedAt = time.GetUtcNow() }, cancellationToken))
        {
            await events.FailedAsync(new CommandFailed(command.Id, command.ServerId, FailureReasons.Cancelled,
                $"#{command.Id} was cancelled by {cancel.By.DisplayName} before it started.", command.ReplyTo), cancellationToken);
            // The approval covers the whole request: withdrawing one command withdraws it (and its siblings).
            if (command.State == CommandState.AwaitingApproval) await approvals.CancelAsync(command.RequestId, cancel.By, cancellationToken);
            return;
        }

        if (command.State is CommandState.Dispatched or CommandState.Running)
            await SendCancelAsync(command, cancellationToken);
    }

    internal async Task SendCancelAsync(CommandRecord command, CancellationToken cancellationToken)
    {
        var agent = await registry.GetAsync(command.ServerId, cancellationToken);
        if (agent is null) return; // the sweeper fails it as disconnected
        await pubSub.PublishAsync(GatewayChannels.ForNode(agent.NodeId),
            JsonSerializer.Serialize<GatewayMessage>(new GatewayCancel(command.Id, command.ServerId), ChatOpsJson.Options), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} dispatched to {ServerId} with fencing token {FencingToken} via node {NodeId}")]
    private partial void LogDispatched(string commandId, string serverId, long fencingToken, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} finished: {State}")]
    private partial void LogFinished(string commandId, CommandState state);
}
