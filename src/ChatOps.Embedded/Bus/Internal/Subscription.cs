using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Embedded.Bus.Internal;

/// <summary>
/// One member of a consumer group, handed back by <see cref="InMemoryEventBus.SubscribeAsync"/>.
/// Disposing it leaves the group: its partitions move to the remaining members, its handler's token
/// is cancelled, and disposal returns once no handler call of this member is running any more.
/// </summary>
internal sealed class Subscription : IAsyncDisposable
{
    /// <summary>The member whose handler runs in this async flow, so it may dispose its own subscription.</summary>
    internal static readonly AsyncLocal<Subscription?> Handling = new();

    private readonly InMemoryEventBus _bus;
    private readonly ConsumerGroup _group;
    private readonly CancellationTokenSource _leaving;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private bool _left;
    private int _disposed;

    public Subscription(InMemoryEventBus bus, ConsumerGroup group, string id, EnvelopeHandler handler, ConsumerOptions options)
    {
        _bus = bus;
        _group = group;
        Id = id;
        Handler = handler;
        Options = options;
        _leaving = CancellationTokenSource.CreateLinkedTokenSource(bus.ShutdownToken);
        Token = _leaving.Token;
    }

    public string Id { get; }

    public EnvelopeHandler Handler { get; }

    public ConsumerOptions Options { get; }

    /// <summary>Cancelled when the member leaves or the bus shuts down.</summary>
    public CancellationToken Token { get; }

    /// <summary>Must hold the topic's lock.</summary>
    public void EnterHandler() => _inFlight++;

    /// <summary>Must hold the topic's lock.</summary>
    public void ExitHandler()
    {
        _inFlight--;
        if (_left && _inFlight == 0)
        {
            _drained.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            await _drained.Task;
            return;
        }

        lock (_group.Topic.Sync)
        {
            _left = true;
            _group.Leave(this);
            if (_inFlight == 0)
            {
                _drained.TrySetResult();
            }
        }

        await _leaving.CancelAsync();
        if (Handling.Value == this)
        {
            // Called by our own handler: waiting for it to return would wait forever. It commits
            // (or not) when it returns, like any message in hand.
            _bus.Logger.LogInformation("{Member} left group {Group} on {Topic} from inside its handler", Id, _group.Name, _group.Topic.Name);
            _ = _drained.Task.ContinueWith(_ => _leaving.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return;
        }

        await _drained.Task;
        _leaving.Dispose();
        _bus.Logger.LogInformation("{Member} left group {Group} on {Topic}", Id, _group.Name, _group.Topic.Name);
    }
}
