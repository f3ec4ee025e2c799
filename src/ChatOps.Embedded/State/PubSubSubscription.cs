using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.State;

/// <summary>One subscriber of <see cref="InMemoryPubSub"/>: a bounded queue drained by its own loop.</summary>
internal sealed class PubSubSubscription : IAsyncDisposable
{
    // Lets DisposeAsync called from inside the handler skip waiting for the loop that is running it.
    private static readonly AsyncLocal<PubSubSubscription?> Delivering = new();
    private static long _nextId;

    private readonly InMemoryPubSub _owner;
    private readonly Func<string, Task> _handler;
    private readonly ILogger _logger;
    private readonly Channel<string> _queue = Channel.CreateBounded<string>(
        new BoundedChannelOptions(InMemoryPubSub.MaxPendingPerSubscriber) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Task _loop;
    private volatile bool _stopped;

    public PubSubSubscription(InMemoryPubSub owner, string channel, Func<string, Task> handler, ILogger logger)
    {
        _owner = owner;
        ChannelName = channel;
        _handler = handler;
        _logger = logger;
        Id = $"{channel}#{Interlocked.Increment(ref _nextId)}";
        _loop = Task.Run(DeliverAsync);
    }

    public string ChannelName { get; }

    public string Id { get; }

    public bool IsStopped => _stopped;

    public bool TryEnqueue(string message) => !_stopped && _queue.Writer.TryWrite(message);

    /// <summary>
    /// Stops delivery: queued messages are discarded (pub/sub stores nothing) and, unless called from
    /// the handler itself, returns once the handler call in progress has ended.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _stopped = true;
        _queue.Writer.TryComplete();
        _owner.Remove(this);
        if (Delivering.Value != this)
        {
            await _loop;
        }
    }

    private async Task DeliverAsync()
    {
        Delivering.Value = this;
        await foreach (var message in _queue.Reader.ReadAllAsync())
        {
            if (_stopped)
            {
                return;
            }

            try
            {
                await _handler(message);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Handler of {Subscriber} on channel {Channel} failed; it keeps receiving", Id, ChannelName);
            }
        }
    }
}
