namespace ChatOps.Core.Ports;

/// <summary>
/// A subscription to one <see cref="IPubSub"/> channel for a component that may trust what it holds
/// only while it hears the other processes (a cache dropping entries on invalidation, a waiter woken
/// by a signal). Made on first use and, after a failure, made again at most once per retry interval.
/// Without a pub/sub (everything in one process) it always counts as listening.
/// </summary>
internal sealed class PubSubListener(
    IPubSub? pubSub,
    string channel,
    Action<string> onMessage,
    TimeProvider time,
    TimeSpan retryAfter,
    Action<string> onSubscribeFailed) : IAsyncDisposable, IDisposable
{
    private readonly Lock _sync = new();
    private Task<IAsyncDisposable?>? _subscription;
    private DateTimeOffset _retryAt;
    private bool _disposed;

    /// <summary>True when messages from other processes arrive; starts (or retries) the subscription when needed.</summary>
    public bool IsListening
    {
        get
        {
            if (pubSub is null) return true;
            var subscription = Volatile.Read(ref _subscription);
            if (subscription is { IsCompletedSuccessfully: true, Result: not null }) return true;
            if (subscription is null || (subscription.IsCompleted && time.GetUtcNow() >= _retryAt)) Subscribe();
            return false;
        }
    }

    /// <summary>Starts listening now and waits until the subscription is made (or has failed).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _ = IsListening;
        if (Volatile.Read(ref _subscription) is { } pending) await pending.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (MarkDisposed() is { } subscription && await subscription is { } handle) await handle.DisposeAsync();
    }

    // A container disposed synchronously refuses singletons that are only IAsyncDisposable. A subscription
    // still being made is left to end with the pub/sub itself rather than waited for here.
    public void Dispose()
    {
        if (MarkDisposed() is { IsCompletedSuccessfully: true, Result: { } handle }) handle.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private Task<IAsyncDisposable?>? MarkDisposed()
    {
        lock (_sync)
        {
            _disposed = true;
            return _subscription;
        }
    }

    private void Subscribe()
    {
        lock (_sync)
        {
            if (_disposed) return;
            var current = _subscription;
            if (current is not null && (!current.IsCompleted || current is { IsCompletedSuccessfully: true, Result: not null })) return;
            _retryAt = time.GetUtcNow() + retryAfter;
            _subscription = SubscribeAsync();
        }
    }

    private async Task<IAsyncDisposable?> SubscribeAsync()
    {
        try
        {
            var handle = await pubSub!.SubscribeAsync(channel, message =>
            {
                onMessage(message);
                return Task.CompletedTask;
            });
            if (!Volatile.Read(ref _disposed)) return handle;
            await handle.DisposeAsync();
            return null;
        }
        catch (Exception ex)
        {
            onSubscribeFailed(ex.Message);
            return null;
        }
    }
}
