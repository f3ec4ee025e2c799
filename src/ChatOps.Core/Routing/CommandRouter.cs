using System.Collections.Concurrent;
using ChatOps.Core.Approvals;
using ChatOps.Core.Audit;
using ChatOps.Core.Chat;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Routing;

/// <summary>
/// The router: turns requests on commands-topic into commands on servers, one at a time per server.
/// It is driven by events (requested, started, output, completed, failed, cancel) and by
/// <see cref="RouterSweeper"/> for time (lock waits, timeouts, lost agents). Every step is a
/// conditional state transition in the store, so redelivery and several routers are harmless.
/// </summary>
public sealed partial class CommandRouter(
    ICommandCatalog catalog,
    IServerStore servers,
    ICommandStore commands,
    UserDirectory users,
    ICommandLock locks,
    IAgentRegistry registry,
    IPubSub pubSub,
    CommandEventPublisher events,
    AuditLog audit,
    IOptions<RouterOptions> options,
    TimeProvider time,
    ILogger<CommandRouter> logger,
    AccessPolicy policy,
    ApprovalService approvals,
    INotificationLedger ledger)
{
    public const string ConsumerGroup = "router";

    private readonly RouterOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _serverGates = new();

    public async Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        switch (envelope.Type)
        {
            case EventTypes.CommandRequested:
                await OnRequestedAsync(envelope.Read<CommandRequested>(), cancellationToken);
                break;
            case EventTypes.CommandStarted:
                var started = envelope.Read<CommandStarted>();
                await commands.TryTransitionAsync(started.CommandId, [CommandState.Dispatched], CommandState.Running,
                    new CommandUpdate { StartedAt = envelope.OccurredAt }, cancellationToken);
                break;
            case EventTypes.CommandOutput:
                var output = envelope.Read<CommandOutput>();
                await commands.AppendOutputAsync(new OutputChunk(output.CommandId, output.Seq, output.Stream, output.Text, envelope.OccurredAt), cancellationToken);
                break;
            case EventTypes.CommandCompleted:
                await OnCompletedAsync(envelope.Read<CommandCompleted>(), envelope.OccurredAt, cancellationToken);
                break;
            case EventTypes.CommandFailed:
                var failed = envelope.Read<CommandFailed>();
                await FinishAsync(failed.CommandId, CommandState.Failed, new CommandUpdate { Error = failed.Message, FinishedAt = envelope.OccurredAt }, cancellationToken);
                break;
            case EventTypes.CommandCancelRequested:
                await OnCancelRequestedAsync(envelope.Read<CommandCancelRequested>(), cancellationToken);
                break;
            case ApprovalEventTypes.Decided:
                await OnApprovalDecidedAsync(envelope.Read<ApprovalDecided>(), cancellationToken);
                break;
        }
    }

    private async Task OnRequestedAsync(CommandRequested request, CancellationToken cancellationToken)
    {
        var definition = catalog.Find(request.CommandName);
        if (definition is null || definition.Kind != CommandKind.Agent)
        {
            await RejectAsync(request, request.Target, FailureReasons.Invalid, $"`{request.CommandName}` is not a command that runs on a server.", cancellationToken);
            return;
        }

        // The intake checked already; this is the check that counts (the request may come from
        // another process, an older build, or straight onto the topic).
        var user = await users.GetAsync(request.Requester.UserId, cancellationToken);
        var rules = await policy.SnapshotAsync(cancellationToken);
        if (user is null || !rules.MayUse(user, definition))
        {
            var roles = string.Join(", ", rules.RolesFor(definition));
            await RejectAsync(request, request.Target, FailureReasons.Forbidden,
                $"You ({request.Requester.DisplayName}) are not allowed to run `{definition.Name}`: it needs one of the roles {roles}.", cancellationToken);
            return;
        }

        var targets = await ResolveTargetsAsync(request, cancellationToken);
        if (targets is null) return;

        var action = definition.AgentAction ?? request.Values.GetValueOrDefault("action") ?? definition.Name;
        var named = request.Values.Where(kv => kv.Key is not ("target" or "action")).ToDictionary(kv => kv.Key, kv => kv.Value);
        var args = DispatchArgs.Encode(named, request.ActionArgs);
        var highRisk = rules.RiskOf(definition) == Risk.High;
        var planned = targets.Select(server => (Server: server, Record: new CommandRecord
        {
            Id = targets.Count == 1 ? request.RequestId : $"{request.RequestId}-{server.Id}",
            RequestId = request.RequestId,
            ServerId = server.Id,
            CommandName = definition.Name,
            Action = action,
            Args = args,
            Text = request.Text,
            Requester = request.Requester,
            ReplyTo = request.ReplyTo,
            State = highRisk ? CommandState.AwaitingApproval : CommandState.Queued,
            Timeout = definition.Timeout,
            CreatedAt = request.RequestedAt,
        })).ToList();

        // Refused at the intake but delivered after all (see CommandIntake.RecordNotAcceptedAsync). A fan-out
        // or a high-risk request is claimed before anything is written: the intake claims the same key when
        // the bus refuses, and whoever is first wins for good (a redelivery here claims again). A
        // single-server command needs no claim (no extra write on the hot path): its record id is the
        // request id, so the intake's rejected record and the router's record cannot both be created.
        if ((planned.Count > 1 || highRisk)
            && !await RequestAcceptance.TryClaimAsync(ledger, request.RequestId, RequestAcceptance.Router, time.GetUtcNow(), cancellationToken))
        {
            LogDroppedNotAccepted(request.RequestId);
            return;
        }

        // Per resolved server: a fan-out runs where the user's roles allow it and reports the rest.
        var allowed = planned.Where(p => rules.MayRun(user, definition, p.Server)).Select(p => p.Record).ToList();
        var denied = planned.Where(p => !allowed.Contains(p.Record)).Select(p => p.Record).ToList();
        if (allowed.Count == 0)
        {
            await RejectAsync(request, request.Target, FailureReasons.Forbidden,
                $"You ({request.Requester.DisplayName}) may not run `{definition.Name}` on {Servers(denied)}: your roles allow it {rules.DescribeScope(user, definition)}.", cancellationToken);
            return;
        }

        foreach (var record in denied)
            await DenyServerAsync(record, $"Not run on `{record.ServerId}`: your roles allow `{definition.Name}` {rules.DescribeScope(user, definition)}.", cancellationToken);

        if (highRisk)
        {
            await RequestApprovalAsync(request, definition, allowed, cancellationToken);
            return;
        }

        foreach (var record in allowed)
        {
            if (await commands.TryCreateAsync(record, cancellationToken))
            {
                LogQueued(record.Id, record.ServerId, request.Requester.UserId, definition.Name);
                await audit.RecordAsync(request.Requester.UserId, "command.requested", record.Id, "ok", $"{request.Text} on {record.ServerId}", cancellationToken);
            }

            await TryStartNextAsync(record.ServerId, cancellationToken);
        }
    }

    private static string Servers(IReadOnlyList<CommandRecord> records) =>
        string.Join(", ", records.Take(10).Select(r => $"`{r.ServerId}`")) + (records.Count > 10 ? $" and {records.Count - 10} more" : "");

    /// <summary>The servers a request names, or null after telling the user why there are none.</summary>
    private async Task<IReadOnlyList<Server>?> ResolveTargetsAsync(CommandRequested request, CancellationToken cancellationToken)
    {
        if (!TargetSelector.TryParse(request.Target, out var selector, out var error))
        {
            await RejectAsync(request, request.Target, FailureReasons.Invalid, error, cancellationToken);
            return null;
        }

        // One server by id is the common case: a point read instead of listing (and matching) every server.
        if (selector.Kind == TargetKind.Id && await servers.GetAsync(selector.Expression, cancellationToken) is { } exact) return [exact];

        var all = await servers.ListAsync(cancellationToken);
        var selected = selector.Select(all);
        if (selected.Count > 0) return selected;

        if (selector.Kind == TargetKind.Id)
        {
            var known = all.Count == 0 ? "none are enrolled yet" : "known servers: " + string.Join(", ", all.Select(s => s.Id).Take(20));
            var suggestion = DidYouMean.Closest(request.Target, all.Select(s => s.Id));
            var hint = suggestion is null ? "" : $" Did you mean `{suggestion}`?";
            await RejectAsync(request, request.Target, FailureReasons.UnknownServer, $"Unknown server `{request.Target}` ({known}).{hint}", cancellationToken);
        }
        else
        {
            await RejectAsync(request, request.Target, FailureReasons.NoTargets, $"No server matches `{request.Target}`.", cancellationToken);
        }

        return null;
    }

    /// <summary>Records a refused request (so history and audit show it) and tells the user.</summary>
    private async Task RejectAsync(CommandRequested request, string serverKey, string reason, string message, CancellationToken cancellationToken)
    {
        var record = new CommandRecord
        {
            Id = request.RequestId,
            RequestId = request.RequestId,
            ServerId = serverKey,
            CommandName = request.CommandName,
            Text = request.Text,
            Requester = request.Requester,
            ReplyTo = request.ReplyTo,
            State = CommandState.Rejected,
            Error = message,
            Timeout = TimeSpan.Zero,
            CreatedAt = request.RequestedAt,
            FinishedAt = time.GetUtcNow(),
        };
        if (!await commands.TryCreateAsync(record, cancellationToken)) return; // redelivery: told already

        LogRejected(request.RequestId, reason, message);
        await audit.RecordAsync(request.Requester.UserId, "command.rejected", request.RequestId, reason, message, cancellationToken);
        await events.FailedAsync(new CommandFailed(request.RequestId, serverKey, reason, message, request.ReplyTo), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} queued for {ServerId} by {UserId}: {Command}")]
    private partial void LogQueued(string commandId, string serverId, string userId, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} rejected ({Reason}): {Message}")]
    private partial void LogRejected(string commandId, string reason, string message);
}
