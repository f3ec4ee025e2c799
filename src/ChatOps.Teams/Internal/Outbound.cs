using System.Text.Json.Nodes;

namespace ChatOps.Teams.Internal;

internal enum OutboundKind
{
    /// <summary>A ready activity (text or card), posted as is.</summary>
    Message,

    /// <summary>A piece of command output; consecutive pieces of one command are sent as one message.</summary>
    Output,

    /// <summary>A command card's state, PUT over the card (or posted once when the card has no id); superseded ones are skipped.</summary>
    CardUpdate,

    /// <summary>A ready activity PUT over <see cref="Outbound.CardActivityId"/> (an approval card decided, an alert root).</summary>
    Replace,

    /// <summary>A new conversation (<see cref="Outbound.Activity"/> holds its parameters); the lane is the channel, so a burst of new threads is paced too.</summary>
    CreateConversation,
}

/// <summary>One thing to send into a conversation, in order, with a completion for callers that need the new id.</summary>
internal sealed class Outbound
{
    public required string ServiceUrl { get; init; }
    public required string ConversationId { get; init; }
    public required OutboundKind Kind { get; init; }
    public string? ReplyToId { get; init; }
    public JsonObject? Activity { get; init; }
    public string? Text { get; init; }
    public string? MergeKey { get; init; }
    public string? Heading { get; init; }
    public RootCardState? Card { get; init; }
    public string? CardActivityId { get; init; }
    public int CardVersion { get; init; }
    public bool CardFinished { get; init; }

    /// <summary>Called with the new activity's id once sent (e.g. to remember a command card).</summary>
    public Action<string?>? OnSent { get; init; }

    public TaskCompletionSource<string?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What a <see cref="OutboundKind.CreateConversation"/> answered, set before <see cref="Done"/> completes.</summary>
    public TeamsConversationResource? Created { get; set; }

    public string LaneKey => ServiceUrl + "|" + ConversationId;
}
