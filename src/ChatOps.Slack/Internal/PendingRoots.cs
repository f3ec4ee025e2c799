using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Thread roots posted after the ack. In a channel where this process has just posted a root and
/// whose queue is short, a command is acked and published at once and its root message follows
/// (Slack's <c>chat.postMessage</c> takes 100–300 ms: too long to hold the ack for). The command's
/// <see cref="ChatRef"/> then says <see cref="RootLaterKey"/> instead of carrying the root's ts, and
/// whoever posts into the thread asks here: this process's pending post when it made it, otherwise
/// the store, where the chat service saves every such root (the notifications service may be another
/// process). A channel not posted in lately still gets its root before the ack, so a command typed
/// where ChatOps cannot post is refused, not run.
/// </summary>
internal sealed partial class PendingRoots(INotificationLedger ledger, SlackOptions options, TimeProvider time, ILogger<PendingRoots> logger)
{
    /// <summary>On a command's <see cref="ChatRef"/>: its root is posted after the ack; ask <see cref="ResolveAsync"/>.</summary>
    public const string RootLaterKey = "root_later";

    /// <summary>The route under which roots are saved in the store's thread registry.</summary>
    public const string Route = "slack:root";

    private const string ErrorKey = "error";
    private const int SaveAttempts = 5;

    // A root posted in the channel this recently: ChatOps is (still) a member there.
    private static readonly TimeSpan PostableFor = TimeSpan.FromMinutes(10);

    private readonly ExpiringCache<Task<string>> _pending = new(time, TimeSpan.FromHours(1), 50_000);
    private readonly ExpiringCache<string> _known = new(time, TimeSpan.FromHours(6), 50_000);
    private readonly ExpiringCache<string> _failed = new(time, TimeSpan.FromHours(6), 50_000);
    private readonly ExpiringCache<bool> _postable = new(time, PostableFor, 20_000);

    public bool IsPostable(string channel) => _postable.TryGet(channel, out _);

    public void MarkPostable(string channel) => _postable.Set(channel, true);

    public void ForgetPostable(string channel) => _postable.Remove(channel);

    /// <summary>Remembers the post of <paramref name="requestId"/>'s root; the task ends once the root is registered.</summary>
    public void Track(string requestId, Task<string> root) => _pending.Set(requestId, root);

    /// <summary>Saves the posted root for other processes (the notifications service may run elsewhere); retried, since they wait for it; never throws.</summary>
    public Task SavePostedAsync(string requestId, string channel, string rootTs)
    {
        _known.Set(requestId, rootTs);
        return SaveAsync(requestId, channel, new Dictionary<string, string>(StringComparer.Ordinal) { [SlackRoots.RootKey] = rootTs });
    }

    /// <summary>Saves that the root could not be posted, so nobody waits for it; never throws.</summary>
    public Task SaveFailedAsync(string requestId, string channel, string errorCode)
    {
        _failed.Set(requestId, errorCode);
        return SaveAsync(requestId, channel, new Dictionary<string, string>(StringComparer.Ordinal) { [ErrorKey] = errorCode });
    }

    /// <summary>
    /// The ts of the root of the request <paramref name="thread"/> belongs to. Waits while the root is on
    /// its way, at most <see cref="SlackOptions.RootWait"/> (once per request: a root given up on is
    /// saved as such); throws <see cref="ChatDeliveryException"/> with Slack's error code, or
    /// <c>no_root</c>, when there is none.
    /// </summary>
    public async Task<string> ResolveAsync(ChatRef thread, CancellationToken cancellationToken)
    {
        var requestId = thread.Get(SlackRoots.RequestKey)
            ?? throw NotPosted("?", "no_root");
        if (_known.TryGet(requestId, out var rootTs)) return rootTs;
        if (_failed.TryGet(requestId, out var failure)) throw NotPosted(requestId, failure);

        var deadline = time.GetUtcNow() + options.RootWait;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (_pending.TryGet(requestId, out var local)) return await WaitForLocalAsync(requestId, thread.Channel, local, deadline, cancellationToken);
            if (await ledger.GetThreadAsync(Key(requestId), Route, cancellationToken) is { } saved)
            {
                if (saved.Thread.Get(SlackRoots.RootKey) is { } ts)
                {
                    _known.Set(requestId, ts);
                    return ts;
                }

                var error = saved.Thread.Get(ErrorKey) ?? "no_root";
                _failed.Set(requestId, error);
                throw NotPosted(requestId, error);
            }

            if (time.GetUtcNow() >= deadline) return await GiveUpAsync(requestId, thread.Channel);
            await Task.Delay(pause, time, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    private async Task<string> WaitForLocalAsync(string requestId, string channel, Task<string> local, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var left = deadline - time.GetUtcNow();
        try
        {
            return await local.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return await GiveUpAsync(requestId, channel);
        }
    }

    // Said once per request: the next message of the same command fails at once instead of waiting again.
    private async Task<string> GiveUpAsync(string requestId, string channel)
    {
        LogGaveUp(requestId, options.RootWait);
        await SaveFailedAsync(requestId, channel, "no_root");
        throw NotPosted(requestId, "no_root");
    }

    // Never throws: this process remembers either way, and a notifier elsewhere that finds nothing waits out
    // RootWait and gives up with a log line of its own.
    private async Task SaveAsync(string requestId, string channel, Dictionary<string, string> extra)
    {
        var thread = new AlertThread(Key(requestId), Route, new ChatRef(SlackWebApiClient.Platform, channel, null, extra), time.GetUtcNow());
        var pause = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ledger.SaveThreadAsync(thread);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (attempt == SaveAttempts)
                {
                    LogNotSaved(requestId, SaveAttempts, ex);
                    return;
                }

                LogSaveRetry(requestId, attempt, ex.Message);
                await Task.Delay(pause, time);
                pause *= 2;
            }
        }
    }

    private static ChatDeliveryException NotPosted(string requestId, string errorCode) =>
        new(SlackWebApiClient.Platform, errorCode, $"the thread of request #{requestId} could not be posted ({errorCode})");

    private static string Key(string requestId) => "request:" + requestId;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: its thread root did not appear within {Wait}; its messages are not posted to Slack")]
    private partial void LogGaveUp(string requestId, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: saving its thread root failed (attempt {Attempt}: {Error}); trying again")]
    private partial void LogSaveRetry(string requestId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: could not save its thread root for other processes in {Attempts} attempts")]
    private partial void LogNotSaved(string requestId, int attempts, Exception exception);
}
