using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Notifications;

/// <summary>
/// The notification service for commands: posts each lifecycle event into the chat thread the
/// request came from and keeps the thread's root (status) current. Every post carries a dedupe key
/// derived from the event, so a redelivered event never shows twice.
/// </summary>
public sealed class CommandNotifier(IEnumerable<IChatClient> clients, ICommandStore commands)
{
    public const string ConsumerGroup = "notifications";

    private readonly Dictionary<string, IChatClient> _clients = clients.ToDictionary(c => c.Platform, StringComparer.OrdinalIgnoreCase);

    public async Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        switch (envelope.Type)
        {
            case EventTypes.CommandWaiting:
                var waiting = envelope.Read<CommandWaiting>();
                await ReplyAsync(waiting.ReplyTo, $"⏳ #{waiting.CommandId} is waiting: `{waiting.ServerId}` is busy with {waiting.HeldBy}.", ReplyKind.Status, $"{waiting.CommandId}:waiting", cancellationToken);
                break;
            case EventTypes.CommandDispatched:
                var dispatched = envelope.Read<CommandDispatched>();
                await ReplyAsync(dispatched.ReplyTo, $"▶️ #{dispatched.CommandId} is running on `{dispatched.ServerId}`.", ReplyKind.Status, $"{dispatched.CommandId}:dispatched", cancellationToken);
                await UpdateAsync(dispatched.ReplyTo, dispatched.CommandId, CommandState.Running, null, null, null, cancellationToken);
                break;
            case EventTypes.CommandOutput:
                var output = envelope.Read<CommandOutput>();
                await ReplyAsync(output.ReplyTo, output.Text, ReplyKind.Output, $"{output.CommandId}:out:{output.Seq}", cancellationToken);
                break;
            case EventTypes.CommandCompleted:
                var completed = envelope.Read<CommandCompleted>();
                var (state, line) = Describe(completed);
                await ReplyAsync(completed.ReplyTo, line, state == CommandState.Succeeded ? ReplyKind.Status : ReplyKind.Error, $"{completed.CommandId}:done", cancellationToken);
                await UpdateAsync(completed.ReplyTo, completed.CommandId, state, completed.ExitCode, TimeSpan.FromMilliseconds(completed.DurationMs), null, cancellationToken);
                break;
            case EventTypes.CommandFailed:
                var failed = envelope.Read<CommandFailed>();
                var failedState = failed.Reason switch
                {
                    FailureReasons.Cancelled => CommandState.Cancelled,
                    FailureReasons.Timeout => CommandState.TimedOut,
                    FailureReasons.Forbidden or FailureReasons.Invalid or FailureReasons.UnknownServer or FailureReasons.NoTargets or FailureReasons.ApprovalRequired => CommandState.Rejected,
                    _ => CommandState.Failed,
                };
                await ReplyAsync(failed.ReplyTo, "❌ " + failed.Message, ReplyKind.Error, $"{failed.CommandId}:failed", cancellationToken);
                await UpdateAsync(failed.ReplyTo, failed.CommandId, failedState, null, null, failed.Message, cancellationToken);
                break;
        }
    }

    private static (CommandState State, string Line) Describe(CommandCompleted completed)
    {
        var duration = FormatDuration(TimeSpan.FromMilliseconds(completed.DurationMs));
        var truncated = completed.Truncated ? $" Output was truncated; the full stored output is at /api/commands/{completed.CommandId}/output." : "";
        return completed.Status switch
        {
            ResultStatuses.Succeeded => (CommandState.Succeeded, $"✅ #{completed.CommandId} finished on `{completed.ServerId}`: exit code 0 in {duration}.{truncated}"),
            ResultStatuses.TimedOut => (CommandState.TimedOut, $"⏱️ #{completed.CommandId} timed out on `{completed.ServerId}` after {duration} and was stopped.{truncated}"),
            ResultStatuses.Cancelled => (CommandState.Cancelled, $"⛔ #{completed.CommandId} was cancelled on `{completed.ServerId}` after {duration}.{truncated}"),
            _ => (CommandState.Failed, $"❌ #{completed.CommandId} failed on `{completed.ServerId}`: exit code {completed.ExitCode?.ToString() ?? "unknown"} in {duration}.{truncated}"),
        };
    }

    internal static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds < 60 ? $"{duration.TotalSeconds:0.0} s" : $"{(int)duration.TotalMinutes} min {duration.Seconds} s";

    private Task ReplyAsync(ChatRef thread, string text, ReplyKind kind, string dedupeKey, CancellationToken cancellationToken) =>
        ClientFor(thread).PostReplyAsync(thread, new ChatReply(text, kind, dedupeKey), cancellationToken);

    private async Task UpdateAsync(ChatRef thread, string commandId, CommandState state, int? exitCode, TimeSpan? duration, string? error, CancellationToken cancellationToken)
    {
        var client = ClientFor(thread);
        var command = client.ShowsCommandDetails ? await commands.GetAsync(commandId, cancellationToken) : null;
        var view = new CommandView(commandId, command?.ServerId ?? "?", command?.Text ?? "", command?.Requester.DisplayName ?? "?", state, exitCode, duration, error);
        await client.UpdateCommandAsync(thread, view, cancellationToken);
    }

    // Throwing (rather than dropping) parks the event on the dead-letter topic with this reason.
    private IChatClient ClientFor(ChatRef thread) =>
        _clients.TryGetValue(thread.Platform, out var client)
            ? client
            : throw new ChatDeliveryException(thread.Platform, "no_client", $"no chat client is configured for platform '{thread.Platform}'");
}
