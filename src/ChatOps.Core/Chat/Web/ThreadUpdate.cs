using ChatOps.Core.Domain;

namespace ChatOps.Core.Chat.Web;

/// <summary>A message appended by a <see cref="ThreadUpdate"/>; <paramref name="DedupeKey"/> works as in <c>IChatThreadStore.AppendMessageAsync</c>.</summary>
public sealed record ThreadMessage(string Author, string Text, DateTimeOffset At, string? DedupeKey = null);

/// <summary>
/// Several changes to one thread, applied in this order: create it (when <see cref="Create"/> is set;
/// an existing id is left as it is), point it at <see cref="CommandId"/>, append <see cref="Messages"/>,
/// then set <see cref="Status"/> (after the messages, as the thread store's contract asks).
/// </summary>
public sealed record ThreadUpdate(string ThreadId, IReadOnlyList<ThreadMessage> Messages)
{
    public ChatThread? Create { get; init; }
    public string? CommandId { get; init; }
    public string? Status { get; init; }
}

/// <summary>
/// Optional capability of an <c>IChatThreadStore</c>: applies a <see cref="ThreadUpdate"/> as one
/// atomic write. The web channel's ack otherwise costs five separate writes.
/// </summary>
public interface IChatThreadBatchWriter
{
    /// <exception cref="InvalidOperationException">The thread does not exist and <see cref="ThreadUpdate.Create"/> is null; nothing is written.</exception>
    Task ApplyAsync(ThreadUpdate update, CancellationToken cancellationToken = default);
}
