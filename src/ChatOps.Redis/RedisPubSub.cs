using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// <see cref="IPubSub"/> on Redis pub/sub. <see cref="PublishAsync"/> returns what <c>PUBLISH</c> returns:
/// the number of Redis client connections subscribed to the channel (one per process, however many
/// handlers it has there). Each subscription gets the channel's messages in order on its own loop; a
/// throwing handler is logged and keeps receiving. After Redis restarts, StackExchange.Redis subscribes
/// again by itself; messages published while the connection was down are lost, as pub/sub promises.
/// </summary>
public sealed class RedisPubSub(RedisStateConnection connection, ILogger<RedisPubSub>? logger = null) : IPubSub, IAsyncDisposable
{
    private readonly RedisStateConnection _connection = connection ?? throw new ArgumentNullException(nameof(connection));
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly Lock _sync = new();
    private readonly HashSet<RedisSubscription> _subscriptions = [];
    private bool _disposed;

    public Task<long> PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        ArgumentNullException.ThrowIfNull(message);

        return _connection.RunOnSubscriberAsync(subscriber => subscriber.PublishAsync(_connection.Channel(channel), message), cancellationToken);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<string, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }

        // SUBSCRIBE goes fire-and-forget, then a PING on the same (subscription) connection confirms the
        // server has processed it. A plain awaited SUBSCRIBE that fails (Redis away) still leaves its queue
        // registered in the client, which would subscribe it again at reconnect and fill it forever with
        // nobody reading; this way we always hold the queue, and can remove it when confirming fails.
        var redisChannel = _connection.Channel(channel);
        var queue = await _connection.RunOnSubscriberAsync(subscriber => subscriber.SubscribeAsync(redisChannel, CommandFlags.FireAndForget), cancellationToken);
        try
        {
            await _connection.RunOnSubscriberAsync(subscriber => subscriber.PingAsync(), cancellationToken);
        }
        catch
        {
            await RedisSubscription.UnsubscribeQuietlyAsync(_connection, queue);
            throw;
        }

        var subscription = new RedisSubscription(_connection, channel, queue, handler, Forget, _logger);
        lock (_sync)
        {
            if (!_disposed)
            {
                _subscriptions.Add(subscription);
                return subscription;
            }
        }

        await subscription.DisposeAsync();
        throw new ObjectDisposedException(nameof(RedisPubSub));
    }

    /// <summary>Ends every subscription made through this instance (the shared connection stays open).</summary>
    public async ValueTask DisposeAsync()
    {
        RedisSubscription[] all;
        lock (_sync)
        {
            _disposed = true;
            all = [.. _subscriptions];
        }

        foreach (var subscription in all)
        {
            await subscription.DisposeAsync();
        }
    }

    private void Forget(RedisSubscription subscription)
    {
        lock (_sync)
        {
            _subscriptions.Remove(subscription);
        }
    }
}
