using ChatOps.Core.Domain;

namespace ChatOps.Core.Approvals;

/// <summary>Where an approval stands. Only <see cref="Pending"/> can change, and only once.</summary>
public enum ApprovalState
{
    Pending,
    Approved,
    Denied,
    Expired,
    Cancelled,
}

/// <summary>
/// A high-risk request waiting for a second person. Its id is the request id (what chat shows as
/// <c>#id</c>), so <c>approve &lt;id&gt;</c> names the command people saw. <see cref="Fingerprint"/>
/// binds the approval to the exact command: it is computed when the approval is requested and
/// recomputed from the stored commands before anything runs (<see cref="ApprovalFingerprint"/>).
/// </summary>
public sealed record ApprovalRequest
{
    public required string Id { get; init; }
    public required string RequestId { get; init; }
    public required string CommandName { get; init; }

    /// <summary>The target expression as typed (<c>db-1</c>, <c>role:db</c>).</summary>
    public required string Target { get; init; }

    public string? Action { get; init; }

    /// <summary>The servers the command will run on once approved (only those the requester may use).</summary>
    public required IReadOnlyList<string> Servers { get; init; }

    /// <summary>Lowercase hex SHA-256 over the command, target, action, arguments and servers.</summary>
    public required string Fingerprint { get; init; }

    public required string Text { get; init; }
    public required Requester Requester { get; init; }
    public required ChatRef ReplyTo { get; init; }
    public required ApprovalState State { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public string? DecidedByUserId { get; init; }
    public string? DecidedByName { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public string? Reason { get; init; }
}

public static class ApprovalStateNames
{
    public static string Of(ApprovalState state) => state.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out ApprovalState state) =>
        Enum.TryParse(text, ignoreCase: true, out state) && Enum.IsDefined(state) && !int.TryParse(text, out _);
}
