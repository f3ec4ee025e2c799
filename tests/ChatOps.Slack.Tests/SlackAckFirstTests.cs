using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.EndToEnd.Tests.Fixtures;
using ChatOps.Slack.Internal;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>
/// In a channel where ChatOps has just posted, a command is acknowledged as soon as it is queued and
/// its thread root follows; whatever is posted into the thread waits for that root. Where ChatOps has
/// not posted lately (or after a failed post) the root still comes first, so a command is refused
/// rather than run where nothing can be posted. The notifier is played by calling the Slack chat
/// client with the published command's reply address, as the notifications service does.
/// </summary>
public sealed class SlackAckFirstTests : IAsyncLifetime
{
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Where_ChatOps_just_posted_the_ack_does_not_wait_for_the_root_and_the_thread_still_lands_under_it()
    {
        await QueueAsync(Alice, "run uptime on web-1", "trigger-first");
        var slackHeld = new TaskCompletionSource();
        _host.Slack.Gate = slackHeld.Task;

        var (_, ack, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Bob, "run hostname on web-1", "trigger-second"), FormType));
        var second = await PublishedByAsync("bob");
        var client = _host.Get<SlackChatClient>();
        var running = client.PostReplyAsync(second.ReplyTo, new ChatReply($"#{second.RequestId} is running", ReplyKind.Status, $"{second.RequestId}:dispatched"));
        var update = client.UpdateCommandAsync(second.ReplyTo, View(second, CommandState.Running));
        _host.Slack.Gate = null;
        slackHeld.SetResult();
        await Task.WhenAll(running, update).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains($"Queued as #{second.RequestId}", ack); // answered while Slack held every call
        Assert.Null(second.ReplyTo.Get("root"));
        Assert.Equal("true", second.ReplyTo.Get("root_later"));
        var root = Assert.Single(_host.Slack.RootsOf(Bob));
        Assert.Null(root.ThreadTs);
        var reply = Assert.Single(_host.Slack.Delivered("chat.postMessage"), c => c.Text.Contains($"#{second.RequestId} is running", StringComparison.Ordinal));
        Assert.Equal(root.AnsweredTs, reply.ThreadTs);
        var updated = Assert.Single(_host.Slack.Delivered("chat.update"));
        Assert.Equal(root.AnsweredTs, updated.Get("ts"));
        Assert.Contains("run hostname on web-1", updated.BlockText);
        // A notifications service in another process finds the root in the store.
        var saved = await SavedRootAsync(second.RequestId);
        Assert.Equal(root.AnsweredTs, saved.Get("root"));
    }

    [Fact]
    public async Task With_AckFirst_off_every_command_waits_for_its_root()
    {
        await using var host = await SlackTestHost.StartAsync(o => o.AckFirst = false);
        await host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, "run uptime on web-1", "trigger-first"), FormType));
        await host.SendTimedAsync(Signed("/slack/commands", SlashForm(Bob, "run hostname on web-1", "trigger-second"), FormType));

        var published = await host.Published.WaitUntilAsync(p => p.Count >= 2);
        var second = published.Select(e => e.Read<CommandRequested>()).Single(r => r.Requester.UserId == "bob");
        Assert.Equal(host.Slack.RootsOf(Bob).Single().AnsweredTs, second.ReplyTo.Get("root"));
        Assert.Null(second.ReplyTo.Get("root_later"));
    }

    [Fact]
    public async Task Behind_a_queue_the_channels_pace_would_take_long_to_drain_the_command_waits_for_its_root()
    {
        // One message a second, and a notifier elsewhere waits 2 s for a root: three queued messages are too many.
        await using var host = await SlackTestHost.StartAsync(o =>
        {
            o.ChannelInterval = TimeSpan.FromSeconds(1);
            o.RootWait = TimeSpan.FromSeconds(2);
        });
        await host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, "run uptime on web-1", "trigger-first"), FormType));
        var outbox = host.Get<SlackOutbox>();
        var backlog = Enumerable.Range(1, 3).Select(i => outbox.Enqueue(Outbound.Post(Channel, "1700000000.000100", new SlackMessage($"queued {i}")))).ToList();

        await host.SendTimedAsync(Signed("/slack/commands", SlashForm(Bob, "run hostname on web-1", "trigger-second"), FormType));

        var published = await host.Published.WaitUntilAsync(p => p.Count >= 2);
        var second = published.Select(e => e.Read<CommandRequested>()).Single(r => r.Requester.UserId == "bob");
        Assert.Equal(host.Slack.RootsOf(Bob).Single().AnsweredTs, second.ReplyTo.Get("root"));
        Assert.Null(second.ReplyTo.Get("root_later"));
        await Task.WhenAll(backlog).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task When_the_root_fails_after_the_ack_the_user_is_told_and_the_next_command_waits_for_its_root_again()
    {
        await QueueAsync(Alice, "run uptime on web-1", "trigger-first");
        _host.Slack.Fault = call => call.Method == "chat.postMessage" ? new FakeReply(200, """{"ok":false,"error":"not_in_channel"}""") : null;

        var (_, ack, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Bob, "run hostname on web-1", "trigger-second", responseUrl: _host.Slack.ResponseUrl("second")), FormType));
        var second = await PublishedByAsync("bob");
        var told = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Contains($"#{second.RequestId} is queued", StringComparison.Ordinal));
        await _host.Get<SlackChatClient>().PostReplyAsync(second.ReplyTo, new ChatReply("finished", ReplyKind.Status, $"{second.RequestId}:done"));
        var (_, third, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Carol, "run uptime on web-1", "trigger-third"), FormType));

        Assert.Contains($"Queued as #{second.RequestId}", ack);
        Assert.Contains("could not post its thread here (not_in_channel)", told.Text);
        Assert.Contains("/invite", told.Text);
        // The reply has no thread to go to: logged and left (retrying cannot give it one), never posted elsewhere.
        Assert.DoesNotContain(_host.Slack.Calls.Snapshot, c => c.Text == "finished");
        Assert.Contains(_host.Logs.Lines.Snapshot, l => l.Contains($"Request {second.RequestId}: {second.RequestId}:done not posted to Slack", StringComparison.Ordinal));
        Assert.Equal("not_in_channel", (await SavedRootAsync(second.RequestId)).Get("error"));
        Assert.Contains("nothing was run", third); // root first again: the channel is no longer known as postable
        Assert.Contains(_host.Logs.Lines.Snapshot, l => l.Contains($"Request {second.RequestId}: acknowledged and queued, but its root message could not be posted", StringComparison.Ordinal));
        _host.Slack.Fault = null;
        Assert.DoesNotContain(_host.Requested, r => r.Requester.UserId == "carol");
    }

    private async Task QueueAsync(string slackUser, string text, string trigger)
    {
        var (_, ack, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(slackUser, text, trigger), FormType));
        Assert.Contains("Queued as #", ack);
    }

    private async Task<CommandRequested> PublishedByAsync(string userId)
    {
        var published = await _host.Published.WaitUntilAsync(p => p.Any(e => e.Read<CommandRequested>().Requester.UserId == userId));
        return published.Select(e => e.Read<CommandRequested>()).Single(r => r.Requester.UserId == userId);
    }

    // Saved by the chat side once the root's post ended; polled, since nothing announces it.
    private async Task<ChatRef> SavedRootAsync(string requestId)
    {
        var ledger = _host.Get<INotificationLedger>();
        var saved = await Eventually.MatchAsync(() => ledger.GetThreadAsync("request:" + requestId, "slack:root"), thread => thread is not null,
            TimeSpan.FromSeconds(10), _ => $"the root of #{requestId} was not saved to the store");
        return saved!.Thread;
    }

    private static CommandView View(CommandRequested command, CommandState state) =>
        new(command.RequestId, "web-1", command.Text, command.Requester.DisplayName, state, null, null, null);
}
