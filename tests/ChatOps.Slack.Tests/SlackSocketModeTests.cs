using ChatOps.Core.Events;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>Socket Mode against a local WebSocket server: envelopes acknowledged, same handlers, reconnection.</summary>
public sealed class SlackSocketModeTests : IAsyncLifetime
{
    private FakeSocketModeServer _socketServer = null!;
    private SlackTestHost _host = null!;
    private int _opens;

    public async Task InitializeAsync()
    {
        _socketServer = await FakeSocketModeServer.StartAsync();
        var slack = new FakeSlackApi { SocketUrl = _socketServer.Url };
        // The first apps.connections.open fails: connecting must be retried, with backoff.
        slack.Fault = call => call.Method == "apps.connections.open" && Interlocked.Increment(ref _opens) == 1 ? new FakeReply(503, "unavailable") : null;
        _host = await SlackTestHost.StartAsync(o =>
        {
            o.SocketMode = true;
            o.AppToken = "xapp-test-token";
        }, slack);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _socketServer.DisposeAsync();
    }

    [Fact]
    public async Task A_slash_command_envelope_is_acknowledged_with_the_answer_in_its_payload()
    {
        var connection = await _socketServer.NextConnectionAsync();
        await connection.SendAsync(new { type = "hello", num_connections = 1 });

        await connection.SendAsync(new
        {
            envelope_id = "env-cmd-1",
            type = "slash_commands",
            accepts_response_payload = true,
            payload = new Dictionary<string, string>
            {
                ["team_id"] = Team, ["channel_id"] = Channel, ["user_id"] = Alice, ["user_name"] = "admin",
                ["command"] = "/chatops", ["text"] = "run uptime on web-1", ["trigger_id"] = "sock-trigger-1",
                ["response_url"] = "https://hooks.slack.com/commands/T0TEAM001/2/x",
            },
        });
        var ack = await connection.ReceiveAsync();

        Assert.Equal("env-cmd-1", ack.GetProperty("envelope_id").GetString());
        Assert.Equal("ephemeral", ack.GetProperty("payload").GetProperty("response_type").GetString());
        Assert.StartsWith("Queued as #", ack.GetProperty("payload").GetProperty("text").GetString());
        var requested = (await _host.Published.WaitUntilAsync(p => p.Count >= 1)).Single().Read<CommandRequested>();
        Assert.Equal("alice", requested.Requester.UserId);
        Assert.Single(_host.Slack.RootsOf(Alice));
        Assert.Equal(requested.ReplyTo.Get("root"), requested.ReplyTo.Thread);
        Assert.Equal("Bearer xapp-test-token", _host.Slack.Calls.Snapshot.First(c => c.Method == "apps.connections.open").Authorization);
        Assert.Equal(2, _opens);
    }

    [Fact]
    public async Task An_event_is_acknowledged_at_once_and_its_redelivery_runs_nothing_more()
    {
        var connection = await _socketServer.NextConnectionAsync();
        var eventPayload = System.Text.Json.JsonDocument.Parse(MentionEvent("Ev0SOCKET1", Alice, "<@U0BOT0001> run uptime on web-1")).RootElement;

        await connection.SendAsync(new { envelope_id = "env-ev-1", type = "events_api", accepts_response_payload = false, retry_attempt = 0, payload = eventPayload });
        var first = await connection.ReceiveAsync();
        await connection.SendAsync(new { envelope_id = "env-ev-2", type = "events_api", accepts_response_payload = false, retry_attempt = 1, retry_reason = "timeout", payload = eventPayload });
        var second = await connection.ReceiveAsync();
        await _host.Published.WaitUntilAsync(p => p.Count >= 1);
        // A marker after the redelivery: once it is published, the redelivery would have been too.
        await connection.SendAsync(new { envelope_id = "env-ev-3", type = "events_api", payload = System.Text.Json.JsonDocument.Parse(MentionEvent("Ev0SOCKET2", Bob, "<@U0BOT0001> run uptime on web-1")).RootElement });
        await connection.ReceiveAsync();
        var published = await _host.Published.WaitUntilAsync(p => p.Count >= 2);

        Assert.Equal("env-ev-1", first.GetProperty("envelope_id").GetString());
        Assert.False(first.TryGetProperty("payload", out _));
        Assert.Equal("env-ev-2", second.GetProperty("envelope_id").GetString());
        Assert.Single(published, e => e.Read<CommandRequested>().Requester.UserId == "alice");
    }

    [Fact]
    public async Task A_disconnect_frame_leads_to_a_new_connection()
    {
        var first = await _socketServer.NextConnectionAsync();
        await first.SendAsync(new { type = "disconnect", reason = "refresh_requested" });

        var second = await _socketServer.NextConnectionAsync();
        await second.SendAsync(new
        {
            envelope_id = "env-after",
            type = "interactive",
            payload = System.Text.Json.JsonDocument.Parse(ButtonJson(Viewer, "approve", "cmd1", "1700000000.000100", null, "sock-click")).RootElement,
        });
        var ack = await second.ReceiveAsync();

        Assert.Equal("env-after", ack.GetProperty("envelope_id").GetString());
        Assert.Equal(3, _opens); // one failed, one per connection
        var answer = await _host.Slack.WaitForDeliveredAsync("chat.postEphemeral", c => c.Get("user") == Viewer);
        Assert.Contains("not allowed to run `approve`", answer.Text);
    }

    [Fact]
    public async Task A_dropped_connection_is_reopened()
    {
        var first = await _socketServer.NextConnectionAsync();
        first.Drop();

        var second = await _socketServer.NextConnectionAsync();
        await second.SendAsync(new { envelope_id = "env-x", type = "unknown_kind", payload = new { } });

        Assert.Equal("env-x", (await second.ReceiveAsync()).GetProperty("envelope_id").GetString());
    }
}
