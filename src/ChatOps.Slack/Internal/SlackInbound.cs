namespace ChatOps.Slack.Internal;

/// <summary>
/// A command typed in Slack, with the identity Slack vouched for (signed request or Socket Mode).
/// </summary>
/// <param name="ThreadTs">For messages: the thread the message belongs to (the root is posted into it); null for slash commands.</param>
/// <param name="ResponseUrl">For slash commands: where to tell the user something after the ack.</param>
internal sealed record SlackInbound(string TeamId, string UserId, string ChannelId, string Text, string RequestId, string? ThreadTs, string? ResponseUrl = null);

internal enum FlowOutcome
{
    /// <summary>An agent command was published; the root message shows it.</summary>
    Queued,

    /// <summary>An agent command was published and acknowledged at once; its root message follows (<see cref="PendingRoots"/>).</summary>
    QueuedRootFollows,

    /// <summary>A built-in answer or a usage/help reply for bad input: nothing was published.</summary>
    Answered,

    /// <summary>The user is not linked to a ChatOps user.</summary>
    NotMapped,

    /// <summary>The same request was accepted before (a replay or redelivery).</summary>
    Duplicate,

    /// <summary>Nothing was run: the root could not be posted, or the bus refused the command.</summary>
    NotRun,
}

internal sealed record FlowResult(FlowOutcome Outcome, string Text, string? CommandId = null);
