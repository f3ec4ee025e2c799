using ChatOps.Core.Chat;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Approvals;

/// <summary>The <c>approve &lt;id&gt;</c> and <c>deny &lt;id&gt; [reason]</c> chat built-ins.</summary>
public sealed class ApprovalCommands(ApprovalService approvals)
{
    public static bool Handles(string commandName) => commandName is "approve" or "deny";

    public async Task<string> ExecuteAsync(ParsedCommand command, IntakeRequest request, User user, CancellationToken cancellationToken)
    {
        if (!approvals.IsAvailable) return "Approvals are not available on this installation.";
        var id = command.Get("approval_id") ?? "";
        var result = command.Definition.Name == "approve"
            ? await approvals.ApproveAsync(user, request.Requester, id, cancellationToken)
            : await approvals.DenyAsync(user, request.Requester, id, command.Get("reason"), cancellationToken);
        return result.Message;
    }
}
