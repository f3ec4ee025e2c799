using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Approvals;

/// <summary>
/// Posts every approval step into the thread the request came from: the request (with what exactly
/// waits, its fingerprint and how to decide), a refused attempt, the decision, expiry. Dedupe keys
/// per step make redelivery harmless. Denials and expiry also end the commands, which the command
/// notifier reports as usual.
/// </summary>
public sealed class ApprovalNotifier(IEnumerable<IChatClient> clients, TimeProvider time)
{
    public const string ConsumerGroup = "approval-notifications";

    private readonly Dictionary<string, IChatClient> _clients = clients.ToDictionary(c => c.Platform, StringComparer.OrdinalIgnoreCase);

    public async Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        switch (envelope.Type)
        {
            case ApprovalEventTypes.Requested:
                var requested = envelope.Read<ApprovalRequested>();
                var minutes = Math.Max(1, (int)Math.Round((requested.ExpiresAt - time.GetUtcNow()).TotalMinutes));
                await ReplyAsync(requested.ReplyTo,
                    $"🔐 #{requested.ApprovalId} needs approval: `{TextHygiene.Escape(requested.Text)}` on {string.Join(", ", requested.Servers)} " +
                    $"(requested by {requested.Requester.DisplayName}, sha256 {ApprovalFingerprint.Short(requested.Fingerprint)}). " +
                    $"A different person with the approver role must type `approve {requested.ApprovalId}` or `deny {requested.ApprovalId} <reason>` within {minutes} min.",
                    ReplyKind.Status, $"{requested.ApprovalId}:approval:requested", cancellationToken);
                await ClientFor(requested.ReplyTo).UpdateCommandAsync(requested.ReplyTo, new CommandView(requested.ApprovalId, string.Join(",", requested.Servers),
                    requested.Text, requested.Requester.DisplayName, CommandState.AwaitingApproval, null, null, null), cancellationToken);
                break;
            case ApprovalEventTypes.Decided:
                var decided = envelope.Read<ApprovalDecided>();
                var by = decided.By?.DisplayName ?? "someone";
                var (text, kind) = decided.Decision switch
                {
                    ApprovalDecisions.Approved => ($"✅ #{decided.ApprovalId} approved by {by}; it runs now.", ReplyKind.Status),
                    ApprovalDecisions.Denied => ($"🚫 #{decided.ApprovalId} denied by {by}{(decided.Reason is null ? "" : ": " + decided.Reason)}.", ReplyKind.Error),
                    ApprovalDecisions.Expired => ($"⌛ #{decided.ApprovalId}: approval expired; nothing was run.", ReplyKind.Error),
                    ApprovalDecisions.Cancelled => ($"⛔ #{decided.ApprovalId}: the approval request was cancelled by {by}.", ReplyKind.Status),
                    _ => ($"⚠️ #{decided.ApprovalId}: approval attempt by {by} refused: {decided.Reason}", ReplyKind.Error),
                };
                // A refusal can happen more than once; each envelope is its own step.
                var key = decided.Decision == ApprovalDecisions.Refused ? $"{decided.ApprovalId}:approval:refused:{envelope.Id}" : $"{decided.ApprovalId}:approval:{decided.Decision}";
                await ReplyAsync(decided.ReplyTo, text, kind, key, cancellationToken);
                break;
        }
    }

    private Task ReplyAsync(ChatRef thread, string text, ReplyKind kind, string dedupeKey, CancellationToken cancellationToken) =>
        ClientFor(thread).PostReplyAsync(thread, new ChatReply(text, kind, dedupeKey), cancellationToken);

    private IChatClient ClientFor(ChatRef thread) =>
        _clients.TryGetValue(thread.Platform, out var client)
            ? client
            : throw new ChatDeliveryException(thread.Platform, "no_client", $"no chat client is configured for platform '{thread.Platform}'");
}
