namespace ChatOps.Core.Ports;

/// <summary>
/// Fire-and-forget fan-out between live processes (Redis pub/sub in scale mode): dispatches to the
/// gateway node holding an agent, live updates to the admin page. Nothing is stored: a message sent
/// while nobody listens is gone, so callers needing delivery use the bus or check an answer.
/// </summary>
public interface IPubSub
{
    /// <summary>Returns the number of subscribers that received the message.</summary>
    Task<long> PublishAsync(string channel, string message, CancellationToken cancellationToken = default);

    Task<IAsyncDisposable> SubscribeAsync(string channel, Func<string, Task> handler, CancellationToken cancellationToken = default);
}
