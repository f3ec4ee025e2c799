namespace ChatOps.Slack.Internal;

internal enum OutboundKind
{
    /// <summary>chat.postMessage; completes with the new message's ts.</summary>
    Post,

    /// <summary>A piece of command output; consecutive pieces for one thread are sent as one message.</summary>
    Output,

    /// <summary>chat.update; the message is rendered when it is sent, so queued updates collapse into the latest.</summary>
    Update,

    /// <summary>chat.postEphemeral to one user.</summary>
    Ephemeral,
}

/// <summary>One message waiting in a channel's outbound queue.</summary>
internal sealed class Outbound
{
    private Outbound(OutboundKind kind, string channel)
    {
        Kind = kind;
        Channel = channel;
    }

    public OutboundKind Kind { get; }
    public string Channel { get; }
    public string? ThreadTs { get; private init; }
    public string? Ts { get; private init; }
    public string? User { get; private init; }
    public SlackMessage? Message { get; private init; }
    public string? Text { get; private init; }
    public Func<SlackMessage>? Render { get; private init; }

    /// <summary>Queued ahead of ordinary messages (set by the outbox).</summary>
    public bool Ahead { get; set; }

    /// <summary>Done when Slack has the message (the ts for posts), or failed for good.</summary>
    public TaskCompletionSource<string?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Outbound Post(string channel, string? threadTs, SlackMessage message) =>
        new(OutboundKind.Post, channel) { ThreadTs = threadTs, Message = message };

    public static Outbound Output(string channel, string threadTs, string text) =>
        new(OutboundKind.Output, channel) { ThreadTs = threadTs, Text = text };

    public static Outbound Update(string channel, string ts, Func<SlackMessage> render) =>
        new(OutboundKind.Update, channel) { Ts = ts, Render = render };

    public static Outbound Ephemeral(string channel, string user, string? threadTs, SlackMessage message) =>
        new(OutboundKind.Ephemeral, channel) { User = user, ThreadTs = threadTs, Message = message };
}
