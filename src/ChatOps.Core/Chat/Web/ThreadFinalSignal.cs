using System.Collections.Concurrent;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Core.Chat.Web;

/// <summary>
/// Wakes whoever waits for a web thread to finish (<c>GET /api/chat/threads/{id}?wait=final</c>) the
/// moment the notifier stores a final status, in this process at once and in others through
/// <see cref="IPubSub"/> channel <see cref="Channel"/>. Before, waiters polled the store with a growing
/// pause, which added up to half of a fast command's round trip.
/// </summary>
/// <remarks>
/// Pub/sub is fire-and-forget: a message can be lost, and a process that is not subscribed hears
/// nothing. So the signal only makes a waiter early; a waiter still reads the store now and then
/// (<see cref="PollInterval"/>), and polls as before whenever this process is not subscribed.
/// </remarks>
public sealed partial class ThreadFinalSignal : IAsyncDisposable
{
    /// <summary>The pub/sub channel; the message is the thread id.</summary>
    public const string Channel = "chat:thread:final";

    private static readonly TimeSpan RetrySubscribeAfter = TimeSpan.FromSeconds(5);

    private readonly IPubSub? _pubSub;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Waiters> _waiters = new(StringComparer.Ordinal);
    private readonly PubSubListener _others;

    public ThreadFinalSignal(TimeProvider time, IPubSub? pubSub = null, ILogger<ThreadFinalSignal>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _pubSub = pubSub;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _others = new PubSubListener(pubSub, Channel, Wake, time, RetrySubscribeAfter, reason => LogSubscribeFailed(reason));
    }

    /// <summary>How often a waiter reads the store while this process hears other processes' signals.</summary>
    public static TimeSpan PollInterval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// True when a final status stored by any process reaches this one's waiters: subscribed to the
    /// channel, or no pub/sub at all (then every notifier is in this process).
    /// </summary>
    public bool HearsOthers => _others.IsListening;

    /// <summary>
    /// Starts listening for <paramref name="threadId"/>; register before reading the store, so a status
    /// stored between the read and the wait is not missed. Dispose when done waiting.
    /// </summary>
    public Registration Register(string threadId)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        _ = _others.IsListening;
        while (true)
        {
            var waiters = _waiters.GetOrAdd(threadId, _ => new Waiters());
            lock (waiters)
            {
                // Removed by the last leaving waiter between GetOrAdd and here: take a fresh one.
                if (waiters.Retired) continue;
                waiters.Count++;
                return new Registration(this, threadId, waiters, waiters.Fired.Task);
            }
        }
    }

    /// <summary>Whether a request in this process waits for <paramref name="threadId"/> (diagnostics and tests).</summary>
    public bool IsWaited(string threadId) => _waiters.ContainsKey(threadId);

    /// <summary>Wakes this process's waiters for <paramref name="threadId"/> and tells the other processes.</summary>
    public async Task NotifyAsync(string threadId, CancellationToken cancellationToken = default)
    {
        Wake(threadId);
        if (_pubSub is null) return;
        try
        {
            await _pubSub.PublishAsync(Channel, threadId, cancellationToken);
        }
        catch (StateUnavailableException ex)
        {
            // Waiters elsewhere find the status on their next read of the store.
            LogPublishFailed(threadId, ex.Message);
        }
    }

    private void Wake(string threadId)
    {
        if (!_waiters.TryRemove(threadId, out var waiters)) return;
        lock (waiters) waiters.Retired = true;
        waiters.Fired.TrySetResult();
    }

    private void Leave(string threadId, Waiters waiters)
    {
        lock (waiters)
        {
            if (--waiters.Count > 0 || waiters.Retired) return;
            waiters.Retired = true;
        }

        _waiters.TryRemove(new KeyValuePair<string, Waiters>(threadId, waiters));
    }

    public ValueTask DisposeAsync() => _others.DisposeAsync();

    /// <summary>One thread's waiters in this process; <see cref="Fired"/> completes when its status is final.</summary>
    internal sealed class Waiters
    {
        public TaskCompletionSource Fired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Count { get; set; }
        public bool Retired { get; set; }
    }

    /// <summary>A waiter's place; <see cref="Fired"/> completes when the thread's status became final.</summary>
    public sealed class Registration : IDisposable
    {
        private readonly ThreadFinalSignal _owner;
        private readonly string _threadId;
        private readonly Waiters _waiters;
        private int _disposed;

        internal Registration(ThreadFinalSignal owner, string threadId, Waiters waiters, Task fired)
        {
            _owner = owner;
            _threadId = threadId;
            _waiters = waiters;
            Fired = fired;
        }

        public Task Fired { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _owner.Leave(_threadId, _waiters);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not announce that web thread {ThreadId} finished ({Reason}); waiters elsewhere will read it from the store")]
    private partial void LogPublishFailed(string threadId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not subscribed to finished web threads ({Reason}); waiting requests poll the store until it works")]
    private partial void LogSubscribeFailed(string reason);
}
