using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Tests.Store;
using ChatOps.Slack.Internal;
using ChatOps.Slack.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Slack.Tests;

/// <summary>
/// A root posted after the ack, seen from a notifications service in another process: it finds the
/// root in the store (the chat service saves it there), waits while it is not there yet, learns when
/// it could not be posted, and gives up after <see cref="SlackOptions.RootWait"/>. Two ledgers on one
/// SQLite file stand for the two processes.
/// </summary>
public sealed class PendingRootsTests : IAsyncLifetime
{
    private const string Channel = "C0CHAN001";
    private readonly FakeSlackApi _slack = new();
    private readonly HttpClient _http = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggers;
    private SqliteTestDatabase _database = null!;
    private INotificationLedger _ledger = null!;

    public PendingRootsTests() => _loggers = LoggerFactory.Create(builder => builder.AddProvider(_logs));

    public async Task InitializeAsync()
    {
        _database = await SqliteTestDatabase.CreateAsync();
        _ledger = new SqliteNotificationLedger(_database.Connections);
    }

    public async Task DisposeAsync()
    {
        _loggers.Dispose();
        _http.Dispose();
        _slack.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_reply_waits_for_a_root_the_chat_process_has_not_saved_yet_then_goes_into_its_thread()
    {
        var chat = Roots(_ledger);
        var (notifier, outbox) = Notifier(Another());
        await using var _ = outbox;

        var reply = notifier.PostReplyAsync(RootLater("req0001"), new ChatReply("▶️ #req0001 is running", ReplyKind.Status, "req0001:dispatched"));
        var waited = !reply.IsCompleted;
        await chat.SavePostedAsync("req0001", Channel, "1700000000.000777");
        await reply.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(waited);
        Assert.Equal("1700000000.000777", Assert.Single(_slack.Delivered("chat.postMessage")).ThreadTs);
    }

    [Fact]
    public async Task The_root_of_a_mention_is_updated_not_the_message_that_mentioned_ChatOps()
    {
        var chat = Roots(_ledger);
        var (notifier, outbox) = Notifier(Another());
        await using var _ = outbox;
        await chat.SavePostedAsync("req0002", Channel, "1700000000.000888");

        await notifier.UpdateCommandAsync(RootLater("req0002", mentionThread: "1515449522.000016"),
            new CommandView("req0002", "web-1", "run uptime on web-1", "Alice", CommandState.Running, null, null, null));

        Assert.Equal("1700000000.000888", Assert.Single(_slack.Delivered("chat.update")).Get("ts"));
    }

    [Fact]
    public async Task A_root_that_could_not_be_posted_leaves_its_messages_unposted_even_a_mentions_and_says_why()
    {
        var chat = Roots(_ledger);
        var (notifier, outbox) = Notifier(Another());
        await using var _ = outbox;
        await chat.SaveFailedAsync("req0003", Channel, "not_in_channel");

        // A mention's thread is known, but its root never came: nothing goes there either.
        await notifier.PostReplyAsync(RootLater("req0003", mentionThread: "1515449522.000016"), new ChatReply("done", ReplyKind.Status, "req0003:done"));
        await notifier.UpdateCommandAsync(RootLater("req0003"), new CommandView("req0003", "web-1", "run uptime", "Alice", CommandState.Succeeded, 0, null, null));

        Assert.Empty(_slack.Calls.Snapshot);
        Assert.Equal(2, _logs.Lines.Snapshot.Count(l => l.Contains("Request req0003:", StringComparison.Ordinal) && l.Contains("(not_in_channel)", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_root_that_never_appears_is_given_up_once_after_the_root_wait_and_saved_as_missing()
    {
        var (notifier, outbox) = Notifier(Another(), o => o.RootWait = TimeSpan.FromMilliseconds(300));
        await using var _ = outbox;

        await notifier.PostReplyAsync(RootLater("req0004"), new ChatReply("running", ReplyKind.Status, "req0004:dispatched")).WaitAsync(TimeSpan.FromSeconds(10));
        var saved = await _ledger.GetThreadAsync("request:req0004", "slack:root");
        await notifier.PostReplyAsync(RootLater("req0004"), new ChatReply("done", ReplyKind.Status, "req0004:done")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(_slack.Calls.Snapshot);
        Assert.Equal("no_root", saved?.Thread.Get("error")); // other replicas need not wait for it again
        Assert.Single(_logs.Lines.Snapshot, l => l.Contains("Request req0004: its thread root did not appear", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_root_this_process_is_still_posting_is_waited_for_at_most_the_root_wait_too()
    {
        var (notifier, outbox) = Notifier(_ledger, o => o.RootWait = TimeSpan.FromMilliseconds(300), out var roots);
        await using var _ = outbox;
        roots.Track("req0005", new TaskCompletionSource<string>().Task); // a post that never ends

        await notifier.PostReplyAsync(RootLater("req0005"), new ChatReply("running", ReplyKind.Status, "req0005:dispatched")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(_slack.Calls.Snapshot);
        Assert.Equal("no_root", (await _ledger.GetThreadAsync("request:req0005", "slack:root"))?.Thread.Get("error"));
    }

    private INotificationLedger Another() => new SqliteNotificationLedger(_database.NewConnectionFactory());

    private static ChatRef RootLater(string requestId, string? mentionThread = null) =>
        new("slack", Channel, mentionThread, new Dictionary<string, string> { ["request"] = requestId, ["root_later"] = "true" });

    private SlackOptions Options(Action<SlackOptions>? configure = null)
    {
        var options = new SlackOptions { SigningSecret = "secret", BotToken = "xoxb-test", ApiBaseUrl = _slack.ApiBaseUrl, ChannelInterval = TimeSpan.Zero };
        configure?.Invoke(options);
        return options;
    }

    private PendingRoots Roots(INotificationLedger ledger, SlackOptions? options = null) =>
        new(ledger, options ?? Options(), TimeProvider.System, _loggers.CreateLogger<PendingRoots>());

    private (SlackChatClient Client, SlackOutbox Outbox) Notifier(INotificationLedger ledger, Action<SlackOptions>? configure = null) =>
        Notifier(ledger, configure, out _);

    private (SlackChatClient Client, SlackOutbox Outbox) Notifier(INotificationLedger ledger, Action<SlackOptions>? configure, out PendingRoots roots)
    {
        var options = Options(configure);
        roots = Roots(ledger, options);
        var api = new SlackWebApiClient(_http, options, TimeProvider.System, NullLogger<SlackWebApiClient>.Instance);
        var outbox = new SlackOutbox(api, options, TimeProvider.System, NullLogger<SlackOutbox>.Instance);
        var client = new SlackChatClient(outbox, new SlackRoots(TimeProvider.System), roots, options, TimeProvider.System, _loggers.CreateLogger<SlackChatClient>());
        return (client, outbox);
    }
}
