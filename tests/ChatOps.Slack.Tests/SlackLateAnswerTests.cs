using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ChatOps.Slack.Internal;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>
/// Answers that come after the ack (slow slash commands, clicks) are bounded: a response_url that
/// fails costs a couple of attempts, then the answer reaches the user as an ephemeral message; a
/// response URL outage trips a breaker so later answers skip it; roots leave a channel in order.
/// </summary>
[Collection(WallClockCollection.Name)]
public sealed class SlackLateAnswerTests : IAsyncLifetime
{
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync(o => o.AckBudget = TimeSpan.FromMilliseconds(200));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_slow_slash_command_whose_response_url_fails_is_answered_as_an_ephemeral_message()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Slack.Hold = call => call.Method == "chat.postMessage" ? release.Task : null;
        _host.Slack.Fault = call => call.Method == "response" ? new FakeReply(503, "service unavailable") : null;

        var (response, body, took) = await _host.SendTimedAsync(Signed("/slack/commands",
            SlashForm(Alice, "run uptime on web-1", "trig-late-1", responseUrl: _host.Slack.ResponseUrl("late-1")), FormType));
        release.SetResult();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(took < TimeSpan.FromSeconds(2), $"the ack took {took}");
        Assert.Contains(SlashCommandHandler.WorkingOnIt, JsonDocument.Parse(body).RootElement.GetProperty("text").GetString());
        var ephemeral = await _host.Slack.WaitForDeliveredAsync("chat.postEphemeral", c => c.Text.Contains("Queued as #", StringComparison.Ordinal));
        Assert.Equal(Alice, ephemeral.Get("user"));
        Assert.Equal(Channel, ephemeral.Channel);
        // Two attempts at the response URL, not the Web API's six.
        Assert.Equal(2, _host.Slack.Calls.Snapshot.Count(c => c.Method == "response"));
        await _host.Logs.Lines.WaitUntilAsync(lines => lines.Any(l => l.Contains("did not go through its response_url (http_503)", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Response_urls_that_keep_failing_trip_the_breaker_and_later_answers_skip_them()
    {
        _host.Slack.Fault = call => call.Method == "response" ? new FakeReply(502, "bad gateway") : null;

        for (var i = 1; i <= SlackResponder.BreakerThreshold; i++)
            await ClickAndWaitForEphemeralAsync(i);
        var responseCalls = _host.Slack.Calls.Snapshot.Count(c => c.Method == "response");
        await ClickAndWaitForEphemeralAsync(SlackResponder.BreakerThreshold + 1);

        Assert.Equal(2 * SlackResponder.BreakerThreshold, responseCalls);
        Assert.Equal(responseCalls, _host.Slack.Calls.Snapshot.Count(c => c.Method == "response"));
        await _host.Logs.Lines.WaitUntilAsync(lines => lines.Any(l => l.Contains("response_url_breaker_open", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Acks_stay_fast_while_many_late_answers_fail()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Slack.Hold = call => call.Method == "chat.postMessage" ? release.Task : null;
        _host.Slack.Fault = call => call.Method == "response" ? new FakeReply(500, "boom") : null;

        var acks = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var started = Stopwatch.StartNew();
            var (response, _, _) = await _host.SendTimedAsync(Signed("/slack/commands",
                SlashForm(Bob, $"run echo {i} on web-1", $"trig-burst-{i}", responseUrl: _host.Slack.ResponseUrl($"burst-{i}")), FormType));
            return (response.StatusCode, started.Elapsed);
        }));
        release.SetResult();

        Assert.All(acks, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(acks, a => Assert.True(a.Elapsed < TimeSpan.FromSeconds(2.5), $"an ack took {a.Elapsed}"));
        await _host.Slack.WaitForAsync(c => c.Count(x => x.Method == "chat.postEphemeral" && x.Delivered) == 40, seconds: 30);
    }

    [Fact]
    public async Task Thread_roots_leave_a_channel_in_the_order_they_were_asked_for()
    {
        var outbox = _host.Get<SlackOutbox>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Slack.Hold = call => call.Text == "first" ? release.Task : null;

        var first = outbox.Enqueue(Outbound.Post(Channel, null, new SlackMessage("first")));
        await _host.Slack.WaitForAsync(c => c.Any(x => x.Text == "first"));
        var sent = new List<Task<string?>> { first, outbox.Enqueue(Outbound.Post(Channel, null, new SlackMessage("ordinary"))) };
        for (var i = 1; i <= 3; i++) sent.Add(outbox.Enqueue(Outbound.Post(Channel, null, new SlackMessage($"root {i}")), first: true));
        release.SetResult();
        await Task.WhenAll(sent).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["first", "root 1", "root 2", "root 3", "ordinary"], _host.Slack.Delivered("chat.postMessage").Select(c => c.Text));
    }

    private async Task ClickAndWaitForEphemeralAsync(int n)
    {
        using var response = await _host.SendAsync(Signed("/slack/interactivity",
            ButtonPayload(Admin, "approve", $"nothing{n}", "1700000050.000100", _host.Slack.ResponseUrl($"click-{n}"), $"trig-breaker-{n}"), FormType));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _host.Slack.WaitForDeliveredAsync("chat.postEphemeral", c => c.Text.Contains($"#nothing{n}", StringComparison.Ordinal));
    }
}
