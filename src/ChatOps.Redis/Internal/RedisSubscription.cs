using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatOps.Redis.Internal;

/// <summary>
/// One handler subscribed through <see cref="RedisPubSub"/>. StackExchange.Redis puts the channel's
/// messages, in order, into this subscription's own queue; a loop of ours drains it, so a slow or
/// throwing handler never holds up the multiplexer's reader or another subscription.
/// </summary>
internal sealed partial class RedisSubscription : IAsyncDisposable
{
    // Lets DisposeAsync called from inside the handler skip waiting for the loop that is running it.
    private static readonly AsyncLocal<RedisSubscription?> Delivering = new();

    private readonly RedisStateConnection _connection;
    private readonly ChannelMessageQueue _queue;
    private readonly Func<string, Task> _handler;
    private readonly Action<RedisSubscription> _onDisposed;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    public RedisSubscription(
        RedisStateConnection connection, string channel, ChannelMessageQueue queue, Func<string, Task> handler, Action<RedisSubscription> onDisposed, ILogger logger)
    {
        _connection = connection;
        Channel = channel;
        _queue = queue;
        _handler = handler;
        _onDisposed = onDisposed;
        _logger = logger;
        _loop = Task.Run(DeliverAsync);
    }

    public string Channel { get; }

    /// <summary>
    /// Unsubscribes (the server stops counting this connection once no other handler of it listens) and,
    /// unless called from the handler itself, returns once the handler call in progress has ended.
    /// Messages still queued are dropped: pub/sub promises nothing to a listener that left.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await UnsubscribeQuietlyAsync(_connection, _queue);

        _onDisposed(this);
        if (Delivering.Value != this)
        {
            await _loop;

            // Only once the loop is over: from inside the handler, the loop still reads the token after us.
            _stop.Dispose();
        }
    }

    /// <summary>
    /// Unsubscribes the queue. When Redis is away the UNSUBSCRIBE cannot be sent, which is fine: the client
    /// forgets the queue first (so it is not subscribed again at reconnect), and the server dropped the
    /// subscription with the socket.
    /// </summary>
    public static async Task UnsubscribeQuietlyAsync(RedisStateConnection connection, ChannelMessageQueue queue)
    {
        try
        {
            await queue.UnsubscribeAsync();

            // As for SUBSCRIBE: a PING behind the UNSUBSCRIBE on the subscription connection returns once
            // the server has processed it, so a publish after DisposeAsync no longer counts us.
            await connection.RunOnSubscriberAsync(subscriber => subscriber.PingAsync(), CancellationToken.None);
        }
        catch (Exception ex) when (ex is StateUnavailableException || RedisFailures.IsUnavailable(ex))
        {
        }
    }

    private async Task DeliverAsync()
    {
        Delivering.Value = this;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var message = await _queue.ReadAsync(_stop.Token);
                try
                {
                    await _handler(message.Message.IsNull ? string.Empty : message.Message.ToString());
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(Channel, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // Unsubscribed elsewhere (the multiplexer closed): nothing more will arrive.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A handler of pub/sub channel {Channel} failed; it keeps receiving")]
    private partial void LogHandlerFailed(string channel, Exception exception);
}
