using System.Net;
using ChatOps.Core.Events;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>Events API: mentions and DMs become commands, once each, however often Slack delivers them.</summary>
public sealed class SlackEventTests : IAsyncLifetime
{
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_mention_delivered_with_retries_1_to_3_runs_once_with_one_root_in_its_thread()
    {
        var body = MentionEvent("Ev0RETRY01", Alice, "<@U0BOT0001> run uptime on web-1", ts: "1515449522.000016");

        foreach (var retry in new int?[] { null, 1, 2, 3 })
        {
            var (response, _, took) = await _host.SendTimedAsync(Signed("/slack/events", body, JsonType, retryNum: retry));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(took < TimeSpan.FromSeconds(3), $"delivery {retry} took {took}");
        }

        await AssertSettledAsync(expectedAliceCommands: 1);
        var requested = _host.Requested.Single(r => r.Requester.UserId == "alice");
        var root = Assert.Single(_host.Slack.RootsOf(Alice));
        Assert.Equal("1515449522.000016", root.ThreadTs); // the root answers in the mention's thread
        Assert.Equal("1515449522.000016", requested.ReplyTo.Thread);
        Assert.NotNull(requested.ReplyTo.Get("root"));
        Assert.Equal("run uptime on web-1", requested.Text); // the bot's mention is not part of the command
    }

    [Fact]
    public async Task A_first_delivery_that_arrives_as_a_retry_is_still_handled()
    {
        var body = MentionEvent("Ev0LATE001", Alice, "<@U0BOT0001> run uptime on web-1");

        await _host.SendTimedAsync(Signed("/slack/events", body, JsonType, retryNum: 2));

        await AssertSettledAsync(expectedAliceCommands: 1);
    }

    [Fact]
    public async Task While_the_downstream_is_slow_every_delivery_is_acked_in_time_and_the_command_runs_once()
    {
        await using var host = await SlackTestHost.StartAsync(o => o.AckBudget = TimeSpan.FromMilliseconds(300));
        var gate = new TaskCompletionSource();
        host.Slack.Gate = gate.Task; // Slack's Web API hangs: the root cannot be posted yet
        var body = MentionEvent("Ev0STORM01", Alice, "<@U0BOT0001> run uptime on web-1");

        var timings = new List<TimeSpan>();
        foreach (var retry in new int?[] { null, 1, 2, 3 })
        {
            var (response, _, took) = await host.SendTimedAsync(Signed("/slack/events", body, JsonType, retryNum: retry));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            timings.Add(took);
        }

        Assert.Empty(host.Published.Snapshot); // nothing could be published before the root exists
        gate.SetResult();

        var published = await host.Published.WaitUntilAsync(p => p.Count >= 1);
        Assert.All(timings, t => Assert.True(t < TimeSpan.FromSeconds(2), $"a delivery took {t}"));
        Assert.Single(published);
        await host.Slack.WaitForAsync(calls => calls.Any(c => c.Method == "chat.postMessage" && c.Delivered));
        Assert.Single(host.Slack.RootsOf(Alice));
    }

    [Fact]
    public async Task A_direct_message_is_a_command_too()
    {
        var body = EventEnvelope("Ev0DM00001", new Dictionary<string, object?>
        {
            ["type"] = "message", ["channel_type"] = "im", ["user"] = Alice, ["text"] = "run uptime on web-1",
            ["ts"] = "1700000001.000200", ["channel"] = "D0DIRECT1", ["event_ts"] = "1700000001.000200",
        });

        await _host.SendTimedAsync(Signed("/slack/events", body, JsonType));

        await AssertSettledAsync(expectedAliceCommands: 1);
        var root = Assert.Single(_host.Slack.RootsOf(Alice));
        Assert.Equal("D0DIRECT1", root.Channel);
        Assert.Equal("1700000001.000200", root.ThreadTs);
    }

    public static TheoryData<string, Dictionary<string, object?>> NotCommands => new()
    {
        { "from a bot", new() { ["type"] = "message", ["channel_type"] = "im", ["user"] = Alice, ["bot_id"] = "B0BOT0001", ["text"] = "run uptime on web-1", ["ts"] = "1700000002.000100", ["channel"] = "D0DIRECT1" } },
        { "a bot_message", new() { ["type"] = "message", ["channel_type"] = "im", ["subtype"] = "bot_message", ["text"] = "run uptime on web-1", ["ts"] = "1700000002.000200", ["channel"] = "D0DIRECT1" } },
        { "an edit", new() { ["type"] = "message", ["channel_type"] = "im", ["subtype"] = "message_changed", ["user"] = Alice, ["text"] = "run uptime on web-1", ["ts"] = "1700000002.000300", ["channel"] = "D0DIRECT1" } },
        { "our own bot user", new() { ["type"] = "message", ["channel_type"] = "im", ["user"] = Bot, ["text"] = "run uptime on web-1", ["ts"] = "1700000002.000400", ["channel"] = "D0DIRECT1" } },
        { "a channel message without mention", new() { ["type"] = "message", ["channel_type"] = "channel", ["user"] = Alice, ["text"] = "run uptime on web-1", ["ts"] = "1700000002.000500", ["channel"] = Channel } },
        { "a reaction", new() { ["type"] = "reaction_added", ["user"] = Alice, ["reaction"] = "thumbsup" } },
    };

    [Theory]
    [MemberData(nameof(NotCommands))]
    public async Task Messages_that_are_not_someones_command_are_ignored(string what, Dictionary<string, object?> inner)
    {
        var (response, _, _) = await _host.SendTimedAsync(Signed("/slack/events", EventEnvelope("Ev0IGNORE" + what.Length, inner), JsonType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertSettledAsync(expectedAliceCommands: 0);
        Assert.DoesNotContain(_host.Slack.Calls.Snapshot, c => c.Channel == "D0DIRECT1");
    }

    [Fact]
    public async Task An_unmapped_user_is_told_privately_and_nothing_runs()
    {
        await _host.SendTimedAsync(Signed("/slack/events", MentionEvent("Ev0STRANGE", Stranger, "<@U0BOT0001> run uptime on web-1"), JsonType));

        var told = await _host.Slack.WaitForDeliveredAsync("chat.postEphemeral", c => c.Get("user") == Stranger);
        Assert.Contains("not mapped to a ChatOps user", told.Text);
        await AssertSettledAsync(expectedAliceCommands: 0);
        Assert.Empty(_host.Slack.RootsOf(Stranger));
    }

    [Fact]
    public async Task A_built_in_is_answered_in_the_thread()
    {
        await _host.SendTimedAsync(Signed("/slack/events", MentionEvent("Ev0WHOAMI1", Alice, "<@U0BOT0001> whoami", ts: "1700000003.000100"), JsonType));

        var answer = await _host.Slack.WaitForDeliveredAsync("chat.postMessage", c => c.ThreadTs == "1700000003.000100");
        Assert.Contains($"slack:{Team}/{Alice}", answer.Text);
        Assert.Contains("operator", answer.Text);
    }

    [Fact]
    public async Task The_bots_mention_anywhere_in_the_text_is_not_part_of_the_command()
    {
        await _host.SendTimedAsync(Signed("/slack/events", MentionEvent("Ev0TRAIL01", Alice, "run uptime on web-1 <@U0BOT0001>"), JsonType));

        await AssertSettledAsync(expectedAliceCommands: 1);
        Assert.Equal("run uptime on web-1", _host.Requested.Single(r => r.Requester.UserId == "alice").Text);
    }

    private async Task AssertSettledAsync(int expectedAliceCommands)
    {
        await _host.SendTimedAsync(Signed("/slack/events", MentionEvent("Ev0MARK" + Guid.NewGuid().ToString("N")[..8], Bob, "<@U0BOT0001> run uptime on web-1"), JsonType));
        var published = await _host.Published.WaitUntilAsync(p => p.Any(e => e.Read<CommandRequested>().Requester.UserId == "bob"));
        Assert.Equal(expectedAliceCommands, published.Count(e => e.Type == EventTypes.CommandRequested && e.Read<CommandRequested>().Requester.UserId == "alice"));
    }
}
