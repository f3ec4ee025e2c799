using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Server.Tests.Support;

/// <summary>Reads a topic in a consumer group of its own and lets a test wait for a message (no sleeping, no polling).</summary>
public sealed class BusWatcher : IAsyncDisposable
{
    private readonly List<Envelope> _seen = [];
    private readonly List<(Func<Envelope, bool> Match, TaskCompletionSource<Envelope> Done)> _waiters = [];
    private IAsyncDisposable? _subscription;

    public static async Task<BusWatcher> StartAsync(IEventBus bus, string topic = Topics.Commands)
    {
        var watcher = new BusWatcher();
        watcher._subscription = await bus.SubscribeAsync(topic, "test-watch-" + Guid.NewGuid().ToString("N"), watcher.OnAsync);
        return watcher;
    }

    public IReadOnlyList<Envelope> Seen
    {
        get
        {
            lock (_seen) return [.. _seen];
        }
    }

    /// <summary>The first message (already seen or still to come) matching <paramref name="match"/>.</summary>
    public async Task<Envelope> WaitForAsync(Func<Envelope, bool> match, string what)
    {
        var done = new TaskCompletionSource<Envelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_seen)
        {
            if (_seen.FirstOrDefault(match) is { } found) return found;
            _waiters.Add((match, done));
        }

        try
        {
            return await done.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no message: {what}; seen: {string.Join(", ", Seen.Select(e => e.Type + "/" + e.Key))}");
        }
    }

    /// <summary>Waits for the <c>command.failed</c> or <c>command.completed</c> of <paramref name="commandId"/>.</summary>
    public Task<Envelope> WaitForEndAsync(string commandId) =>
        WaitForAsync(e => e.Type is EventTypes.CommandFailed or EventTypes.CommandCompleted && e.Payload.GetProperty("commandId").GetString() == commandId, $"end of #{commandId}");

    private Task OnAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        lock (_seen)
        {
            _seen.Add(envelope);
            foreach (var waiter in _waiters.Where(w => w.Match(envelope)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult(envelope);
            }
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_subscription is not null) await _subscription.DisposeAsync();
    }
}
