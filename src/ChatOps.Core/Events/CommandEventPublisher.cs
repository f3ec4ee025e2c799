using ChatOps.Core.Ports;

namespace ChatOps.Core.Events;

/// <summary>Publishes command lifecycle events on commands-topic, keyed by server id so they stay in order.</summary>
public sealed class CommandEventPublisher(IEventBus bus, TimeProvider time)
{
    public Task PublishAsync<T>(string type, string serverId, T payload, CancellationToken cancellationToken = default) =>
        bus.PublishAsync(Topics.Commands, Envelope.Create(type, serverId, payload, time.GetUtcNow()), cancellationToken);

    public Task FailedAsync(CommandFailed failed, CancellationToken cancellationToken = default) =>
        PublishAsync(EventTypes.CommandFailed, failed.ServerId, failed, cancellationToken);
}
