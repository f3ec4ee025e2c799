using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Thread roots posted after the ack. In a channel where ChatOps has just posted, a command is acked
/// and published at once and its root message follows (Slack's <c>chat.postMessage</c> takes
/// 100–300 ms, more behind the channel's pace: too long to hold the ack for). The command's
/// <see cref="ChatRef"/> then says <see cref="RootLaterKey"/> instead of carrying the root's ts, and
/// whoever posts into the thread asks here: this process's pending post when it made it, otherwise
/// the store, where the chat service saves every such root (the notifications service may be another
/// process). A channel ChatOps has not posted in lately still gets its root before the ack, so a
/// command typed where ChatOps cannot post is refused, not run.
/// </summary>
internal sealed partial class PendingRoots(INotificationLedger ledger, SlackOptions options, TimeProvider time, ILogger<PendingRoots> logger)
{
    /// <summary>On a command's <see cref="ChatRef"/>: its root is posted after the ack; ask <see cref="ResolveAsync"/>.</summary>
    public const string RootLaterKey = "root_later";

    /// <summary>The route under which roots are saved in the store's thread registry.</summary>
    public const string Route = "slack:root";

    private const string ErrorKey = "error";

    // A post succeeded in the channel this recently: ChatOps is (still) a member there.
    private static readonly TimeSpan PostableFor = TimeSpan.FromMinutes(10);

    private readonly ExpiringCache<Task<string>> _pending = new(time, TimeSpan.FromHours(1), 50_000);
    private readonly ExpiringCache<bool> _postable = new(time, PostableFor, 20_000);

    public bool IsPostable(string channel) => _postable.TryGet(channel, out _);

    public void MarkPostable(string channel) => _postable.Set(channel, true);

    public void ForgetPostable(string channel) => _postable.Remove(channel);

    /// <summary>Remembers the post of <paramref name="requestId"/>'s root; the task ends once the root is registered.</summary>
    public void Track(string requestId, Task<string> root) => _pending.Set(requestId, root);

    /// <summary>Saves the posted root for other processes (the notifications service may run elsewhere).</summary>
    public Task SavePostedAsync(string requestId, string channel, string rootTs) =>
        SaveAsync(requestId, channel, new Dictionary<string, string>(StringComparer.Ordinal) { [SlackRoots.RootKey] = rootTs });

    /// <summary>Saves that the root could not be posted, so nobody waits for it.</summary>
    public Task SaveFailedAsync(string requestId, string channel, string errorCode) =>
        SaveAsync(requestId, channel, new Dictionary<string, string>(StringComparer.Ordinal) { [ErrorKey] = errorCode });

    /// <summary>
    /// The ts of the root of the request <paramref name="thread"/> belongs to. Waits while the root is on
    /// its way (bounded by <see cref="SlackOptions.RootWait"/>); throws <see cref="ChatDeliveryException"/>
    /// with Slack's error code when it could not be posted.
    /// </summary>
    public async Task<string> ResolveAsync(ChatRef thread, CancellationToken cancellationToken)
    {
        var requestId = thread.Get(SlackRoots.RequestKey)
            ?? throw new ChatDeliveryException(SlackWebApiClient.Platform, "no_root", "a Slack command update needs its request's root message");
        if (_pending.TryGet(requestId, out var local)) return await local.WaitAsync(cancellationToken);

        var deadline = time.GetUtcNow() + options.RootWait;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (await ledger.GetThreadAsync(Key(requestId), Route, cancellationToken) is { } saved)
                return saved.Thread.Get(SlackRoots.RootKey) ?? throw NotPosted(requestId, saved.Thread.Get(ErrorKey) ?? "no_root");
            if (_pending.TryGet(requestId, out local)) return await local.WaitAsync(cancellationToken);
            if (time.GetUtcNow() >= deadline)
            {
                LogGaveUp(requestId, options.RootWait);
                throw NotPosted(requestId, "no_root");
            }

            await Task.Delay(pause, time, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    private Task SaveAsync(string requestId, string channel, Dictionary<string, string> extra) =>
        ledger.SaveThreadAsync(new AlertThread(Key(requestId), Route, new ChatRef(SlackWebApiClient.Platform, channel, null, extra), time.GetUtcNow()));

    private static ChatDeliveryException NotPosted(string requestId, string errorCode) =>
        new(SlackWebApiClient.Platform, errorCode, $"the thread of request #{requestId} could not be posted ({errorCode})");

    private static string Key(string requestId) => "request:" + requestId;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: its thread root did not appear within {Wait}; its messages cannot be posted")]
    private partial void LogGaveUp(string requestId, TimeSpan wait);
}
