using ChatOps.Core.Approvals;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Routing;

/// <summary>
/// The router's clock-driven half: gives up on commands that waited too long for a busy server,
/// renews the locks of running commands, times out commands whose agent never answered, fails
/// commands whose agent vanished, expires approvals nobody decided in time, and starts queued work
/// that no event woke (e.g. after a restart).
/// </summary>
public sealed partial class RouterSweeper(
    CommandRouter router,
    ICommandStore commands,
    ICommandLock locks,
    IAgentRegistry registry,
    CommandEventPublisher events,
    IOptions<RouterOptions> options,
    TimeProvider time,
    ILogger<RouterSweeper> logger,
    ApprovalService approvals) : BackgroundService
{
    private readonly RouterOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(ex);
            }
        }
    }

    public async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var waitingServers = new HashSet<string>();
        foreach (var command in await commands.ListByStateAsync([CommandState.Queued], cancellationToken: cancellationToken))
        {
            if (now - await QueuedSinceAsync(command, now, cancellationToken) <= _options.LockWait)
            {
                waitingServers.Add(command.ServerId);
                continue;
            }

            var holder = await locks.GetHolderAsync(command.ServerId, cancellationToken);
            var busy = holder is null ? "was busy" : $"is busy with {holder.Description}, {(int)(now - holder.AcquiredAt).TotalSeconds} s";
            await FailAsync(command, [CommandState.Queued], CommandState.Failed, FailureReasons.LockTimeout,
                $"Gave up on #{command.Id} after waiting {(int)_options.LockWait.TotalSeconds} s: `{command.ServerId}` {busy}.", cancellationToken);
        }

        foreach (var serverId in waitingServers)
            await router.TryStartNextAsync(serverId, cancellationToken);

        foreach (var command in await commands.ListByStateAsync([CommandState.Dispatched, CommandState.Running], cancellationToken: cancellationToken))
            await CheckActiveAsync(command, now, cancellationToken);

        await approvals.ExpireDueAsync(cancellationToken);
    }

    // An approved command joined the queue when it was approved, not when it was requested.
    private async Task<DateTimeOffset> QueuedSinceAsync(CommandRecord command, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now - command.CreatedAt <= _options.LockWait || !approvals.IsAvailable) return command.CreatedAt;
        var approval = await approvals.GetAsync(command.RequestId, cancellationToken);
        return approval is { State: ApprovalState.Approved, DecidedAt: { } approvedAt } ? approvedAt : command.CreatedAt;
    }

    private async Task CheckActiveAsync(CommandRecord command, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deadline = (command.StartedAt ?? command.CreatedAt) + command.Timeout + _options.ResultGrace;
        if (now > deadline)
        {
            await router.SendCancelAsync(command, cancellationToken);
            await FailAsync(command, [CommandState.Dispatched, CommandState.Running], CommandState.TimedOut, FailureReasons.Timeout,
                $"#{command.Id} timed out: no result from `{command.ServerId}` within {(int)command.Timeout.TotalSeconds} s.", cancellationToken);
            return;
        }

        if (await registry.GetAsync(command.ServerId, cancellationToken) is null)
        {
            await FailAsync(command, [CommandState.Dispatched, CommandState.Running], CommandState.Failed, FailureReasons.AgentDisconnected,
                $"The agent on `{command.ServerId}` disconnected while running #{command.Id}; its outcome is unknown.", cancellationToken);
            return;
        }

        if (command.FencingToken is { } token &&
            !await locks.RenewAsync(new LockLease(command.ServerId, command.Id, token, now), _options.LockTtl, cancellationToken))
            LogLockLost(command.Id, command.ServerId);
    }

    private async Task FailAsync(CommandRecord command, IReadOnlyCollection<CommandState> from, CommandState to, string reason, string message, CancellationToken cancellationToken)
    {
        if (!await commands.TryTransitionAsync(command.Id, from, to, new CommandUpdate { Error = message, FinishedAt = time.GetUtcNow() }, cancellationToken))
            return;
        if (command.FencingToken is { } token)
            await locks.ReleaseAsync(new LockLease(command.ServerId, command.Id, token, time.GetUtcNow()), cancellationToken);
        await events.FailedAsync(new CommandFailed(command.Id, command.ServerId, reason, message, command.ReplyTo), cancellationToken);
        await router.TryStartNextAsync(command.ServerId, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Router sweep failed; retrying at the next tick")]
    private partial void LogSweepFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command {CommandId} lost its lock on {ServerId} while running; its fencing token is now stale")]
    private partial void LogLockLost(string commandId, string serverId);
}
