using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Notifications;
using ChatOps.Core.Ports;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>
/// The notifier's lifecycle events, through <see cref="SlackChatClient"/>, into Slack: replies in the
/// root's thread, output batched and capped, the root updated with the result, nothing twice.
/// </summary>
public sealed class SlackChatClientTests : IAsyncLifetime
{
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync(o => o.MaxOutputChars = 2_000);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_commands_lifecycle_lands_in_the_roots_thread_and_the_root_shows_the_result()
    {
        var requested = await RequestAsync("trigger-life", "run uptime on web-1");
        var rootTs = requested.ReplyTo.Get("root")!;
        var notifier = _host.Get<CommandNotifier>();

        await notifier.HandleAsync(Dispatched(requested), default);
        for (var seq = 1; seq <= 20; seq++)
            await notifier.HandleAsync(Output(requested, seq, $"line {seq} <!channel>\n"), default);
        await notifier.HandleAsync(Completed(requested, exitCode: 0, durationMs: 1234), default);

        var calls = await _host.Slack.WaitForAsync(c => c.Any(x => x.Method == "chat.update" && x.BlockText.Contains("succeeded", StringComparison.Ordinal)));
        var replies = calls.Where(c => c.Method == "chat.postMessage" && c.Delivered && c.ThreadTs is not null).ToList();
        Assert.All(replies, r => Assert.Equal(rootTs, r.ThreadTs));
        Assert.Contains(replies, r => r.Text.Contains($"#{requested.RequestId} is running on `web-1`", StringComparison.Ordinal));
        Assert.Contains(replies, r => r.Text.Contains("exit code 0", StringComparison.Ordinal));

        var output = string.Concat(replies.Where(r => r.Text.StartsWith("```", StringComparison.Ordinal)).Select(r => r.Text));
        for (var seq = 1; seq <= 20; seq++) Assert.Contains($"line {seq} &lt;!channel&gt;", output);
        Assert.True(replies.Count(r => r.Text.StartsWith("```", StringComparison.Ordinal)) < 20, "output pieces were not batched");
        Assert.True(output.IndexOf("line 1 ", StringComparison.Ordinal) < output.IndexOf("line 20 ", StringComparison.Ordinal));
        Assert.True(replies.FindIndex(r => r.Text.StartsWith("```", StringComparison.Ordinal)) < replies.FindIndex(r => r.Text.Contains("exit code 0", StringComparison.Ordinal)));

        var final = calls.Last(c => c.Method == "chat.update");
        Assert.Equal(rootTs, final.Get("ts"));
        Assert.Equal(Channel, final.Channel);
        Assert.Contains(":white_check_mark: *succeeded* on `web-1` · exit code 0 · 1.2 s", final.BlockText);
        Assert.Contains($"<@{Alice}> asked for", final.BlockText);
        Assert.DoesNotContain("\"action_id\"", final.BlocksJson); // no Cancel button on a finished command
    }

    [Fact]
    public async Task Redelivered_events_post_nothing_twice()
    {
        var requested = await RequestAsync("trigger-redeliver", "run uptime on web-1");
        var notifier = _host.Get<CommandNotifier>();
        var events = new[] { Dispatched(requested), Output(requested, 1, "hello\n"), Completed(requested, 0, 10) };

        foreach (var envelope in events) await notifier.HandleAsync(envelope, default);
        var first = (await _host.Slack.WaitForAsync(c => c.Any(x => x.Text.Contains("exit code 0", StringComparison.Ordinal)))).Count(IsThreadPost);
        foreach (var envelope in events) await notifier.HandleAsync(envelope, default);
        await notifier.HandleAsync(Completed(requested, 0, 10), default); // and once more, awaited: everything before it is through

        Assert.Equal(3, first);
        Assert.Equal(3, _host.Slack.Calls.Snapshot.Count(IsThreadPost));
    }

    [Fact]
    public async Task Long_output_is_cut_with_one_pointer_to_the_full_output()
    {
        var requested = await RequestAsync("trigger-long-output", "run uptime on web-1");
        var notifier = _host.Get<CommandNotifier>();

        for (var seq = 1; seq <= 30; seq++)
            await notifier.HandleAsync(Output(requested, seq, new string((char)('a' + seq % 26), 199) + "\n"), default);
        await notifier.HandleAsync(Completed(requested, 0, 10), default);

        var replies = _host.Slack.Calls.Snapshot.Where(IsThreadPost).ToList();
        var shown = replies.Where(r => r.Text.StartsWith("```", StringComparison.Ordinal)).Sum(r => r.Text.Length - 8);
        Assert.InRange(shown, 1_900, 2_000);
        var pointer = Assert.Single(replies, r => r.Text.Contains("/api/commands/", StringComparison.Ordinal));
        Assert.Contains($"`/api/commands/{requested.RequestId}/output`", pointer.Text);
    }

    [Fact]
    public async Task A_late_running_update_does_not_undo_a_finished_root()
    {
        var requested = await RequestAsync("trigger-order", "run uptime on web-1");
        var notifier = _host.Get<CommandNotifier>();

        await notifier.HandleAsync(Completed(requested, 3, 500), default);
        await notifier.HandleAsync(Dispatched(requested), default);

        var last = _host.Slack.Calls.Snapshot.Last(c => c.Method == "chat.update");
        Assert.Contains("*failed* on `web-1` · exit code 3", last.BlockText);
        Assert.DoesNotContain("running", last.BlockText);
    }

    [Fact]
    public async Task A_final_Slack_error_is_surfaced_with_its_code_and_a_redelivery_may_try_again()
    {
        var requested = await RequestAsync("trigger-archived", "run uptime on web-1");
        var notifier = _host.Get<CommandNotifier>();
        _host.Slack.Fault = call => call.Method == "chat.postMessage" ? new FakeReply(200, """{"ok":false,"error":"is_archived"}""") : null;

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => notifier.HandleAsync(Dispatched(requested), default));
        _host.Slack.Fault = null;
        await notifier.HandleAsync(Dispatched(requested), default);

        Assert.Equal("is_archived", error.ErrorCode);
        Assert.Equal("slack", error.Platform);
        Assert.Single(_host.Slack.Calls.Snapshot, c => IsThreadPost(c) && c.Text.Contains("is running", StringComparison.Ordinal));
    }

    private static bool IsThreadPost(SlackCall call) => call.Method == "chat.postMessage" && call.Delivered && call.ThreadTs is not null;

    private async Task<CommandRequested> RequestAsync(string trigger, string text)
    {
        await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, text, trigger), FormType));
        var requested = (await _host.Published.WaitUntilAsync(p => p.Any(e => e.Read<CommandRequested>().Text == text && e.Read<CommandRequested>().RequestId.Length > 0)))
            .Select(e => e.Read<CommandRequested>()).Last();
        await _host.Get<ICommandStore>().TryCreateAsync(new CommandRecord
        {
            Id = requested.RequestId,
            RequestId = requested.RequestId,
            ServerId = "web-1",
            CommandName = requested.CommandName,
            Text = requested.Text,
            Requester = requested.Requester,
            ReplyTo = requested.ReplyTo,
            State = CommandState.Queued,
            Timeout = TimeSpan.FromMinutes(1),
            CreatedAt = requested.RequestedAt,
        });
        return requested;
    }

    private static Envelope Dispatched(CommandRequested r) =>
        Envelope.Create(EventTypes.CommandDispatched, "web-1", new CommandDispatched(r.RequestId, "web-1", "uptime", 1, "node-1", r.ReplyTo), DateTimeOffset.UtcNow);

    private static Envelope Output(CommandRequested r, long seq, string text) =>
        Envelope.Create(EventTypes.CommandOutput, "web-1", new CommandOutput(r.RequestId, "web-1", seq, "stdout", text, r.ReplyTo), DateTimeOffset.UtcNow);

    private static Envelope Completed(CommandRequested r, int exitCode, long durationMs) =>
        Envelope.Create(EventTypes.CommandCompleted, "web-1",
            new CommandCompleted(r.RequestId, "web-1", exitCode == 0 ? "succeeded" : "failed", exitCode, durationMs, false, r.ReplyTo), DateTimeOffset.UtcNow);
}
