using ChatOps.Core.Approvals;
using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Chat;

/// <summary>A message from any chat platform, with an identity established by authentication.</summary>
/// <param name="RequestId">An idempotency key (e.g. Slack's event id); a new id is made when null.</param>
public sealed record IntakeRequest(Requester Requester, ChatRef ReplyTo, string Text, string? RequestId = null);

/// <summary>The immediate answer: an ack ("queued as #id") or the whole reply of a built-in.</summary>
/// <param name="Retryable">True when nothing was accepted and the user should simply try again.</param>
public sealed record IntakeReply(string Text, string? CommandId = null, bool Retryable = false);

/// <summary>A prepared request: the reply to show, and the command still to publish (null when there is none).</summary>
public sealed record IntakeDecision(IntakeReply Reply, CommandRequested? Pending);

/// <summary>
/// The front door shared by every chat adapter: parses, checks the user and their roles, answers
/// built-ins at once, and publishes agent commands on commands-topic for the router.
/// </summary>
public sealed partial class CommandIntake(
    CommandParser parser,
    BuiltInCommands builtIns,
    UserDirectory users,
    IEventBus bus,
    TimeProvider time,
    ILogger<CommandIntake> logger,
    AccessPolicy policy,
    CommandThrottle throttle,
    ApprovalCommands approvals,
    AuditLog audit,
    ICommandStore commands,
    INotificationLedger ledger)
{
    /// <summary>The error of the rejected record a refused request leaves behind (see <see cref="SubmitAsync"/>).</summary>
    public const string NotAcceptedError = "Not accepted by the command queue: ";

    /// <summary>Parses, authorises and publishes in one step.</summary>
    public async Task<IntakeReply> HandleAsync(IntakeRequest request, CancellationToken cancellationToken = default)
    {
        var decision = await PrepareAsync(request, cancellationToken);
        return decision.Pending is null ? decision.Reply : await SubmitAsync(decision, cancellationToken) ?? decision.Reply;
    }

    /// <summary>
    /// Everything but publishing: the reply is final for built-ins and bad input; for an agent
    /// command it is the ack, and <see cref="IntakeDecision.Pending"/> still has to be submitted.
    /// Split so an adapter can show the ack before the command's own replies can arrive.
    /// </summary>
    public async Task<IntakeDecision> PrepareAsync(IntakeRequest request, CancellationToken cancellationToken = default)
    {
        if (await ThrottleAsync(request, cancellationToken) is { } slowDown) return slowDown;

        var parsed = parser.Parse(request.Text);
        if (parsed is not ParseSuccess { Command: var command })
            return new IntakeDecision(new IntakeReply(((ParseFailure)parsed).ToReply()), null);

        var user = await users.GetAsync(request.Requester.UserId, cancellationToken);
        if (user is null)
            return Final($"You ({request.Requester.Identity}) are not mapped to a ChatOps user. Ask an admin to link your account.");

        // A pre-check by command; the router decides per resolved server.
        var definition = command.Definition;
        var rules = await policy.SnapshotAsync(cancellationToken);
        if (!rules.MayUse(user, definition))
        {
            await audit.RecordAsync(user.Id, "command.denied", definition.Name, "forbidden", TextHygiene.Escape(request.Text.Trim()), cancellationToken);
            return Final($"You ({user.DisplayName}) are not allowed to run `{definition.Name}`: it needs one of the roles {string.Join(", ", rules.RolesFor(definition))}.");
        }

        if (definition.Kind == CommandKind.BuiltIn)
        {
            return Final(ApprovalCommands.Handles(definition.Name)
                ? await approvals.ExecuteAsync(command, request, user, cancellationToken)
                : await builtIns.ExecuteAsync(command, request, user, cancellationToken));
        }

        var requestId = request.RequestId ?? Security.Secrets.NewShortId();
        var target = command.Target ?? "";
        var requested = new CommandRequested(requestId, request.Text.Trim(), definition.Name, target, command.Values, command.ActionArgs,
            command.Options, request.Requester, request.ReplyTo, time.GetUtcNow());
        return new IntakeDecision(new IntakeReply($"Queued as #{requestId}: `{TextHygiene.Escape(requested.Text)}` on `{target}`.", requestId), requested);
    }

    /// <summary>Publishes a prepared command. Null when accepted; otherwise the "not accepted, try again" reply.</summary>
    public async Task<IntakeReply?> SubmitAsync(IntakeDecision decision, CancellationToken cancellationToken = default)
    {
        var requested = decision.Pending ?? throw new ArgumentException("nothing to submit", nameof(decision));
        try
        {
            await bus.PublishAsync(Topics.Commands, Envelope.Create(EventTypes.CommandRequested, requested.Target, requested, requested.RequestedAt), cancellationToken);
        }
        catch (BusUnavailableException ex)
        {
            if (await RecordNotAcceptedAsync(requested, ex.Message, cancellationToken) == false)
            {
                // The bus delivered it despite the refusal and the router already holds it: it is queued.
                LogAcceptedAfterAll(requested.RequestId, ex.Message);
                return null;
            }

            LogNotAccepted(requested.RequestId, ex.Message);
            return new IntakeReply($"Not accepted, try again: the command queue is unavailable ({ex.Message}).", Retryable: true);
        }

        LogAccepted(requested.RequestId, requested.Requester.UserId, requested.CommandName, requested.Target);
        return null;
    }

    /// <summary>
    /// True for the record <see cref="RecordNotAcceptedAsync"/> leaves under the request id: the refusal in
    /// the history, and the reason a single-server request delivered after all cannot be created again.
    /// </summary>
    public static bool WasNotAccepted(CommandRecord? record) =>
        record is { State: CommandState.Rejected, Error: { } error } && error.StartsWith(NotAcceptedError, StringComparison.Ordinal);

    // A refusal is not always the end of it: Kafka's leader may have appended the record before the
    // replicas failed to confirm it (NOT_ENOUGH_REPLICAS), and then it is delivered after all. "Not
    // accepted" must stay true, or the user's retry runs the command twice; and when the router was
    // first, the command is queued after all (false) and the user must hear so. Two atomic races decide:
    // - A fan-out or high-risk request: the router claims the request (RequestAcceptance) before it
    //   writes anything, so the intake claims it too; whoever claims first wins, the router drops a
    //   request the intake holds. The intake cannot tell from the text whether a target fans out, so it
    //   claims on every refusal (refusals are rare; ordinary commands, the hot path, never claim).
    // - A single-server command: its record id is the request id, so the rejected record left here and
    //   the router's record cannot both be created. The record also shows the refusal in the history.
    // Null when the store is down too (claim or record): the log line says so.
    private async Task<bool?> RecordNotAcceptedAsync(CommandRequested requested, string reason, CancellationToken cancellationToken)
    {
        var record = new CommandRecord
        {
            Id = requested.RequestId,
            RequestId = requested.RequestId,
            ServerId = requested.Target,
            CommandName = requested.CommandName,
            Text = requested.Text,
            Requester = requested.Requester,
            ReplyTo = requested.ReplyTo,
            State = CommandState.Rejected,
            Error = NotAcceptedError + reason,
            Timeout = TimeSpan.Zero,
            CreatedAt = requested.RequestedAt,
            FinishedAt = time.GetUtcNow(),
        };
        try
        {
            // Claim first: a fan-out the router holds gets no rejected record beside its own.
            if (!await RequestAcceptance.TryClaimAsync(ledger, requested.RequestId, RequestAcceptance.Intake, time.GetUtcNow(), cancellationToken))
                return false;

            // An earlier refusal of the same request (a redelivered chat request) left the marker already.
            return await commands.TryCreateAsync(record, cancellationToken)
                || WasNotAccepted(await commands.GetAsync(requested.RequestId, cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotAcceptedUnrecorded(requested.RequestId, ex.Message);
            return null;
        }
    }

    private static IntakeDecision Final(string text) => new(new IntakeReply(text), null);

    // ratelimit:{user_id}:commands, shared by every platform, so Slack and Teams draw on one budget.
    private async Task<IntakeDecision?> ThrottleAsync(IntakeRequest request, CancellationToken cancellationToken)
    {
        RateLimitDecision limit;
        try
        {
            limit = await throttle.TryAcquireAsync(request.Requester.UserId, cancellationToken);
        }
        catch (StateUnavailableException ex)
        {
            return new IntakeDecision(new IntakeReply($"Not accepted, try again: {ex.Message}", Retryable: true), null);
        }

        if (limit.Allowed) return null;
        var seconds = Math.Max(1, (int)Math.Ceiling(limit.RetryAfter.TotalSeconds));
        return new IntakeDecision(new IntakeReply(
            $"Easy there: you can send {throttle.Policy.Limit} commands a minute and have used them all. Please try again in {seconds} s.", Retryable: true), null);
    }

    // Information: in a split deployment this is the chat process's only line for a request, the one that
    // ties the caller's trace id to the request id.
    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} from {UserId}: {Command} on {Target}")]
    private partial void LogAccepted(string requestId, string userId, string command, string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} not accepted by the bus: {Reason}")]
    private partial void LogNotAccepted(string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: the bus reported it refused ({Reason}) but delivered it; the router has it, so it stays queued")]
    private partial void LogAcceptedAfterAll(string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} was refused by the bus and could not be marked refused in the store ({Reason}); if the bus delivers it after all, it may run")]
    private partial void LogNotAcceptedUnrecorded(string requestId, string reason);
}
