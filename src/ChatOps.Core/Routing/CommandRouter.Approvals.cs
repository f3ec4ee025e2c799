using ChatOps.Core.Approvals;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Routing;

public sealed partial class CommandRouter
{
    /// <summary>One server of a fan-out the requester may not use: recorded as rejected and reported in the thread.</summary>
    private async Task DenyServerAsync(CommandRecord planned, string message, CancellationToken cancellationToken)
    {
        var record = planned with { State = CommandState.Rejected, Error = message, Timeout = TimeSpan.Zero, FinishedAt = time.GetUtcNow() };
        if (!await commands.TryCreateAsync(record, cancellationToken)) return; // redelivery: told already

        LogRejected(record.Id, FailureReasons.Forbidden, message);
        await audit.RecordAsync(record.Requester.UserId, "command.denied", record.Id, FailureReasons.Forbidden, $"{record.Text} on {record.ServerId}", cancellationToken);
        await events.FailedAsync(new CommandFailed(record.Id, record.ServerId, FailureReasons.Forbidden, message, record.ReplyTo), cancellationToken);
    }

    /// <summary>High risk: the commands are stored as awaiting approval and nothing runs until a second person approves.</summary>
    private async Task RequestApprovalAsync(CommandRequested request, CommandDefinition definition, IReadOnlyList<CommandRecord> awaiting, CancellationToken cancellationToken)
    {
        if (!approvals.IsAvailable)
        {
            await RejectAsync(request, request.Target, FailureReasons.ApprovalRequired,
                $"`{definition.Name}` is high-risk and needs a second person's approval, which this installation does not offer.", cancellationToken);
            return;
        }

        foreach (var record in awaiting)
        {
            if (await commands.TryCreateAsync(record, cancellationToken))
            {
                LogAwaitingApproval(record.Id, record.ServerId, request.Requester.UserId, definition.Name);
                await audit.RecordAsync(request.Requester.UserId, "command.requested", record.Id, "awaiting_approval", $"{request.Text} on {record.ServerId}", cancellationToken);
            }
        }

        await approvals.RequestAsync(request, awaiting, cancellationToken);
    }

    /// <summary>
    /// Turns a decision into command transitions. Approved: the waiting commands are checked once more
    /// against the approval's fingerprint (the last moment before anything can run), then queued.
    /// Denied, expired or cancelled: the waiting commands end without running.
    /// </summary>
    private async Task OnApprovalDecidedAsync(ApprovalDecided decided, CancellationToken cancellationToken)
    {
        if (decided.Decision == ApprovalDecisions.Refused) return;
        var approval = await approvals.GetAsync(decided.ApprovalId, cancellationToken);
        if (approval is null) return;
        var waiting = (await commands.ListByRequestAsync(approval.RequestId, cancellationToken))
            .Where(c => c.State == CommandState.AwaitingApproval).ToList();
        if (waiting.Count == 0) return; // redelivery: handled already

        if (decided.Decision == ApprovalDecisions.Approved)
        {
            if (approval.State != ApprovalState.Approved) return;
            if (!ApprovalFingerprint.Matches(approval, waiting) || decided.Fingerprint != approval.Fingerprint)
            {
                await EndWaitingAsync(waiting, CommandState.Rejected, $"#{approval.Id} was not run: the commands no longer match what was approved.", cancellationToken);
                return;
            }

            foreach (var command in waiting)
            {
                if (await commands.TryTransitionAsync(command.Id, [CommandState.AwaitingApproval], CommandState.Queued, new CommandUpdate(), cancellationToken))
                    LogQueued(command.Id, command.ServerId, command.Requester.UserId, command.CommandName);
                await TryStartNextAsync(command.ServerId, cancellationToken);
            }

            return;
        }

        var (state, message) = decided.Decision switch
        {
            ApprovalDecisions.Denied => (CommandState.Rejected, $"#{approval.Id} was not run: {approval.DecidedByName ?? "an approver"} denied it{(approval.Reason is null ? "" : $" ({approval.Reason})")}."),
            ApprovalDecisions.Expired => (CommandState.Rejected, $"#{approval.Id} was not run: approval expired."),
            _ => (CommandState.Cancelled, $"#{approval.Id} was cancelled before it was approved."),
        };
        await EndWaitingAsync(waiting, state, message, cancellationToken);
    }

    private async Task EndWaitingAsync(IReadOnlyList<CommandRecord> waiting, CommandState state, string message, CancellationToken cancellationToken)
    {
        var reason = state == CommandState.Cancelled ? FailureReasons.Cancelled : FailureReasons.ApprovalRequired;
        foreach (var command in waiting)
        {
            if (!await commands.TryTransitionAsync(command.Id, [CommandState.AwaitingApproval], state,
                    new CommandUpdate { Error = message, FinishedAt = time.GetUtcNow() }, cancellationToken)) continue;
            LogFinished(command.Id, state);
            await audit.RecordAsync(command.Requester.UserId, "command.finished", command.Id, state.ToString().ToLowerInvariant(), message, cancellationToken);
            await events.FailedAsync(new CommandFailed(command.Id, command.ServerId, reason, message, command.ReplyTo), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} arrived after the intake was told the bus refused it; dropped, not run (the user was told to try again)")]
    private partial void LogDroppedNotAccepted(string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} on {ServerId} by {UserId} awaits approval: {Command}")]
    private partial void LogAwaitingApproval(string commandId, string serverId, string userId, string command);
}
