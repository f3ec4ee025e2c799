using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Slack.Internal;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack;

/// <summary>
/// Alert threads in Slack (platform <c>slack</c>; a route's channel is a channel id such as
/// <c>C024BE91L</c>). The root is a Block Kit card with the alert's buttons, rewritten in place with
/// chat.update; replies go into its thread. Everything goes through the per-channel outbound queue,
/// so alerts are paced and rate-limited like command threads. Opening twice for one alert and channel
/// posts one root; a reply's dedupe key posts once.
/// </summary>
public sealed partial class SlackAlertChannel : IAlertChannel
{
    internal const string AlertKey = "alert";

    private readonly SlackOutbox _outbox;
    private readonly ILogger<SlackAlertChannel> _logger;
    private readonly ExpiringCache<Task<string?>> _opened;
    private readonly ExpiringCache<bool> _posted;
    private readonly ExpiringCache<RootCard> _roots;

    internal SlackAlertChannel(SlackOutbox outbox, TimeProvider time, ILogger<SlackAlertChannel> logger)
    {
        _outbox = outbox;
        _logger = logger;
        _opened = new ExpiringCache<Task<string?>>(time, TimeSpan.FromDays(2), 20_000);
        _posted = new ExpiringCache<bool>(time, TimeSpan.FromDays(2), 100_000);
        _roots = new ExpiringCache<RootCard>(time, TimeSpan.FromDays(7), 20_000);
    }

    public string Platform => SlackWebApiClient.Platform;

    public async Task<ChatRef> OpenThreadAsync(AlertRoute route, AlertCard card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(card);
        if (!SlackIds.IsChannelId(route.Channel))
            throw new ChatDeliveryException(Platform, "channel_not_found", $"the alert route's channel '{route.Channel}' is not a Slack channel id (C…, G… or D…)");

        var key = route.Channel + "|" + card.AlertId;
        var root = new RootCard(card);
        var posting = _opened.GetOrAdd(key, () => _outbox.Enqueue(Outbound.Post(route.Channel, null, SlackBlocks.AlertRoot(card, 0)), first: true), out var first);
        string ts;
        try
        {
            ts = await posting.WaitAsync(cancellationToken) ?? throw new ChatDeliveryException(Platform, "no_ts", "Slack gave the alert root no ts");
        }
        catch (ChatDeliveryException)
        {
            // Not posted: the notifier's retry must be able to post it.
            if (first) _opened.Remove(key);
            throw;
        }

        _roots.GetOrAdd(RootKey(route.Channel, ts), () => root, out _);
        LogOpened(card.AlertId, route.Channel, ts);
        return new ChatRef(Platform, route.Channel, ts, new Dictionary<string, string> { [SlackRoots.RootKey] = ts, [AlertKey] = card.AlertId });
    }

    public async Task UpdateRootAsync(ChatRef thread, AlertCard card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(card);
        var ts = RootTs(thread);
        var root = _roots.GetOrAdd(RootKey(thread.Channel, ts), () => new RootCard(card), out _);
        lock (root)
        {
            // A late event must not bring a resolved alert's card back to firing.
            if (!(root.Card.State == AlertState.Resolved && card.State != AlertState.Resolved)) root.Card = card;
            root.Version++;
        }

        // Rendered when sent: queued updates of one root collapse into the latest card.
        await _outbox.Enqueue(Outbound.Update(thread.Channel, ts, () =>
        {
            lock (root) return SlackBlocks.AlertRoot(root.Card, root.Version);
        })).WaitAsync(cancellationToken);
    }

    public async Task PostReplyAsync(ChatRef thread, AlertReply reply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(reply);
        var ts = RootTs(thread);
        var key = thread.Channel + "|" + ts + "|" + reply.DedupeKey;
        if (!_posted.TryAdd(key, true))
        {
            LogDuplicate(reply.DedupeKey);
            return;
        }

        try
        {
            var message = SlackBlocks.AlertReply(reply.Text, SlackMentions.Render(reply.Mention), reply.Mention);
            await _outbox.Enqueue(Outbound.Post(thread.Channel, ts, message)).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is ChatDeliveryException or OperationCanceledException)
        {
            _posted.Remove(key);
            throw;
        }
    }

    private string RootTs(ChatRef thread) =>
        thread.Get(SlackRoots.RootKey) ?? thread.Thread
        ?? throw new ChatDeliveryException(Platform, "no_thread", "a Slack alert thread needs its root message");

    private static string RootKey(string channel, string ts) => channel + "|" + ts;

    private sealed class RootCard(AlertCard card)
    {
        public AlertCard Card { get; set; } = card;
        public int Version { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: Slack thread {Ts} in {Channel}")]
    private partial void LogOpened(string alertId, string channel, string ts);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Slack alert reply {DedupeKey} was posted already; skipped")]
    private partial void LogDuplicate(string dedupeKey);
}
