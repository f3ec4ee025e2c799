using System.Net;
using System.Text.Json;
using ChatOps.Core.Events;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

public sealed class SlashCommandTests : IAsyncLifetime
{
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_signed_command_is_acked_in_the_window_with_a_root_message_whose_thread_the_command_carries()
    {
        var (response, body, took) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, "run uptime on web-1", "trigger-1"), FormType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(took < TimeSpan.FromSeconds(3), $"ack took {took}");
        using var ack = JsonDocument.Parse(body);
        Assert.Equal("ephemeral", ack.RootElement.GetProperty("response_type").GetString());
        var ackText = ack.RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith("Queued as #", ackText);

        var requested = Assert.Single((await _host.Published.WaitUntilAsync(p => p.Count >= 1)).Select(e => e.Read<CommandRequested>()));
        var root = Assert.Single(_host.Slack.RootsOf(Alice));
        Assert.Contains($"#{requested.RequestId}", ackText);
        Assert.Null(root.ThreadTs); // the root is a channel message, not a reply
        Assert.Equal(Channel, root.Channel);
        Assert.Contains($"<@{Alice}> asked for", root.BlockText);
        Assert.Contains("run uptime on web-1", root.BlockText);
        Assert.Contains("\"action_id\":\"cancel\"", root.BlocksJson);
        Assert.Equal("Bearer xoxb-test-token", root.Authorization);

        Assert.Equal("slack", requested.ReplyTo.Platform);
        Assert.Equal(Channel, requested.ReplyTo.Channel);
        Assert.NotNull(requested.ReplyTo.Thread);
        Assert.Equal(requested.ReplyTo.Thread, requested.ReplyTo.Get("root"));
        Assert.Equal(Team, requested.ReplyTo.Get("team"));
        Assert.Equal("alice", requested.Requester.UserId);
        Assert.Equal($"slack:{Team}/{Alice}", requested.Requester.Identity);
        Assert.Null(requested.ReplyTo.Get("response_url"));
    }

    [Fact]
    public async Task The_same_signed_request_five_times_makes_one_command_and_one_root()
    {
        var body = SlashForm(Alice, "run uptime on web-1", "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
        var timestamp = Now;
        var acks = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (response, text, _) = await _host.SendTimedAsync(Signed("/slack/commands", body, FormType, timestamp));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            acks.Add(text);
        }

        await AssertSettledAsync(expectedCommands: 1);
        Assert.Single(_host.Requested, r => r.Requester.UserId == "alice");
        Assert.Single(_host.Slack.RootsOf(Alice));
        Assert.Single(acks.Distinct()); // every replay got the first delivery's answer
        Assert.Contains("Queued as #", acks[0]);
    }

    [Fact]
    public async Task Five_concurrent_copies_of_one_request_still_make_one_command()
    {
        var body = SlashForm(Alice, "run uptime on web-1", "trigger-concurrent");
        var timestamp = Now;
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _host.SendTimedAsync(Signed("/slack/commands", body, FormType, timestamp))));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Response.StatusCode));
        await AssertSettledAsync(expectedCommands: 1);
        Assert.Single(_host.Requested, r => r.Requester.UserId == "alice");
        Assert.Single(_host.Slack.RootsOf(Alice));
    }

    [Fact]
    public async Task A_forged_user_name_of_an_admin_changes_nothing_identity_comes_from_user_id()
    {
        var (response, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Stranger, "run uptime on web-1", "trigger-forged", userName: "admin"), FormType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"slack:{Team}/{Stranger}", body);
        Assert.Contains("not mapped to a ChatOps user", body);
        await AssertSettledAsync(expectedCommands: 0);
        Assert.Empty(_host.Slack.RootsOf(Stranger));
    }

    [Fact]
    public async Task A_viewer_cannot_run_an_operator_command()
    {
        var (_, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Viewer, "run uptime on web-1", "trigger-viewer"), FormType));

        Assert.Contains("not allowed to run `run`", body);
        await AssertSettledAsync(expectedCommands: 0);
    }

    [Fact]
    public async Task Help_is_answered_at_once_and_publishes_nothing()
    {
        var (_, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Viewer, "help", "trigger-help"), FormType));

        Assert.Contains("restart", body);
        await AssertSettledAsync(expectedCommands: 0);
        Assert.Empty(_host.Slack.RootsOf(Viewer));
    }

    [Fact]
    public async Task A_typo_gets_a_did_you_mean_and_publishes_nothing()
    {
        var (_, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, "restrat web-1 nginx", "trigger-typo"), FormType));

        Assert.Contains("Unknown command", body);
        Assert.Contains("restart", body);
        await AssertSettledAsync(expectedCommands: 0);
    }

    [Fact]
    public async Task Slack_escaping_and_links_are_undone_before_parsing()
    {
        var text = "run web-1 echo &lt;b&gt; &amp; <http://example.com|example.com>";

        await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, text, "trigger-escape"), FormType));

        var requested = (await _host.Published.WaitUntilAsync(p => p.Count >= 1)).Single().Read<CommandRequested>();
        Assert.Equal("run web-1 echo <b> & example.com", requested.Text);
        Assert.Contains("echo &lt;b&gt; &amp; example.com", _host.Slack.RootsOf(Alice).Single().BlockText); // and escaped again going out
    }

    [Fact]
    public async Task When_the_root_cannot_be_posted_nothing_runs_and_the_user_is_told_why()
    {
        _host.Slack.Fault = call => call.Method == "chat.postMessage" ? new FakeReply(200, """{"ok":false,"error":"not_in_channel"}""") : null;

        var (_, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, "run uptime on web-1", "trigger-notinchannel"), FormType));

        Assert.Contains("not_in_channel", body);
        Assert.Contains("/invite", body);
        Assert.Contains("nothing was run", body);
        _host.Slack.Fault = null;
        await AssertSettledAsync(expectedCommands: 0);
    }

    [Fact]
    public async Task When_Slack_is_slow_the_ack_still_comes_in_the_window_and_the_answer_follows_on_the_response_url()
    {
        await using var host = await SlackTestHost.StartAsync(o => o.AckBudget = TimeSpan.FromMilliseconds(300));
        var gate = new TaskCompletionSource();
        host.Slack.Gate = gate.Task;
        var body = SlashForm(Alice, "run uptime on web-1", "trigger-slow", responseUrl: host.Slack.ResponseUrl("slow"));

        var (response, ack, took) = await host.SendTimedAsync(Signed("/slack/commands", body, FormType));
        var (_, replayAck, _) = await host.SendTimedAsync(Signed("/slack/commands", body, FormType));
        gate.SetResult();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(took < TimeSpan.FromSeconds(2), $"ack took {took}");
        Assert.Contains("Working on it", ack);
        Assert.Contains("Working on it", replayAck);
        var late = await host.Slack.WaitForDeliveredAsync("response", c => c.Text.Contains("Queued as #", StringComparison.Ordinal));
        Assert.Equal("ephemeral", late.Get("response_type"));
        var published = await host.Published.WaitUntilAsync(p => p.Count >= 1);
        Assert.Single(published);
        Assert.Single(host.Slack.Calls.Snapshot, c => c.Method == "response");
        Assert.Single(host.Slack.RootsOf(Alice));
    }

    [Fact]
    public async Task Users_from_configuration_are_linked_with_their_roles()
    {
        await using var host = await SlackTestHost.StartAsync(o => o.Users = "U0CONFIG1=operator,T0TEAM001/U0CONFIG2=viewer");

        var (_, operatorAck, _) = await host.SendTimedAsync(Signed("/slack/commands", SlashForm("U0CONFIG1", "run uptime on web-1", "trigger-config-1"), FormType));
        var (_, viewerAck, _) = await host.SendTimedAsync(Signed("/slack/commands", SlashForm("U0CONFIG2", "run uptime on web-1", "trigger-config-2"), FormType));

        Assert.StartsWith("{\"response_type\":\"ephemeral\",\"text\":\"Queued as #", operatorAck);
        Assert.Contains("not allowed to run `run`", viewerAck);
        var requested = (await host.Published.WaitUntilAsync(p => p.Count >= 1)).Single().Read<CommandRequested>();
        Assert.Equal("slack-U0CONFIG1", requested.Requester.UserId);
    }

    /// <summary>Proves quiescence: a later marker command is published, so anything earlier would have been too.</summary>
    private async Task AssertSettledAsync(int expectedCommands)
    {
        await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Bob, "run uptime on web-1", "trigger-marker-" + Guid.NewGuid()), FormType));
        var published = await _host.Published.WaitUntilAsync(p => p.Any(e => e.Read<CommandRequested>().Requester.UserId == "bob"));
        Assert.Equal(expectedCommands, published.Count(e => e.Type == EventTypes.CommandRequested && e.Read<CommandRequested>().Requester.UserId != "bob"));
    }
}
