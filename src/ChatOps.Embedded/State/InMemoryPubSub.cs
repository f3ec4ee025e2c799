using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Embedded.State;

/// <summary>
/// The in-process <see cref="IPubSub"/>. Each subscription has its own queue and delivery loop, so
/// handlers run asynchronously (a publisher never waits for one), each sees its channel's messages in
/// publish order, and a slow or throwing handler holds up nobody else. A throwing handler is logged
/// and keeps receiving. A subscriber whose queue is full (<see cref="MaxPendingPerSubscriber"/>) misses
/// the message, which is logged and left out of the count <see cref="PublishAsync"/> returns.
/// </summary>
public sealed class InMemoryPubSub(ILogger<InMemoryPubSub>? logger = null) : IPubSub, IAsyncDisposable
{
    public const int MaxPendingPerSubscriber = 10_000;

    private readonly ILogger _logger = logger ?? NullLogger<InMemoryPubSub>.Instance;
    private readonly Lock _sync = new();

    // Arrays replaced on every change, so publishing reads a snapshot without holding the lock.
    private readonly Dictionary<string, PubSubSubscription[]> _channels = new(StringComparer.Ordinal);
    private bool _disposed;

    public Task<long> PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();

        PubSubSubscription[]? subscribers;
        lock (_sync)
        {
            _channels.TryGetValue(channel, out subscribers);
        }

        long delivered = 0;
        foreach (var subscriber in subscribers ?? [])
        {
            if (subscriber.TryEnqueue(message))
            {
                delivered++;
            }
            else if (!subscriber.IsStopped)
            {
                _logger.LogWarning(
                    "Subscriber {Subscriber} of channel {Channel} has {Pending} messages pending; this one is not delivered to it",
                    subscriber.Id,
                    channel,
                    MaxPendingPerSubscriber);
            }
        }

        return Task.FromResult(delivered);
    }

    public Task<IAsyncDisposable> SubscribeAsync(string channel, Func<string, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        ArgumentNullException.ThrowIfNull(handler);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var subscription = new PubSubSubscription(this, channel, handler, _logger);
            _channels[channel] = [.. _channels.GetValueOrDefault(channel, []), subscription];
            return Task.FromResult<IAsyncDisposable>(subscription);
        }
    }

    public async ValueTask DisposeAsync()
    {
        PubSubSubscription[] all;
        lock (_sync)
        {
            _disposed = true;
            all = [.. _channels.Values.SelectMany(s => s)];
        }

        foreach (var subscription in all)
        {
            await subscription.DisposeAsync();
        }
    }

    internal void Remove(PubSubSubscription subscription)
    {
        lock (_sync)
        {
            if (!_channels.TryGetValue(subscription.ChannelName, out var current))
            {
                return;
            }

            var remaining = current.Where(s => s != subscription).ToArray();
            if (remaining.Length == 0)
            {
                _channels.Remove(subscription.ChannelName);
            }
            else
            {
                _channels[subscription.ChannelName] = remaining;
            }
        }
    }
}
