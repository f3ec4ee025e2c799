using System.Net;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>Buttons: the clicking user (from the signed payload) is checked like a typed command.</summary>
public sealed class SlackInteractivityTests : IAsyncLifetime
{
    private const string RootTs = "1700000010.000100";
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_requester_clicking_cancel_asks_the_router_to_cancel_their_command()
    {
        await StoreRunningCommandAsync("cmd0alice1", "alice");

        var (response, body, took) = await _host.SendTimedAsync(Signed("/slack/interactivity", ButtonPayload(Alice, "cancel", "cmd0alice1", RootTs, _host.Slack.ResponseUrl("a1"), "trig-cancel-1"), FormType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", body);
        Assert.True(took < TimeSpan.FromSeconds(3), $"took {took}");
        var cancel = (await _host.Published.WaitUntilAsync(p => p.Any(e => e.Type == EventTypes.CommandCancelRequested)))
            .Single(e => e.Type == EventTypes.CommandCancelRequested).Read<CommandCancelRequested>();
        Assert.Equal("cmd0alice1", cancel.CommandId);
        Assert.Equal("alice", cancel.By.UserId);
        Assert.Equal($"slack:{Team}/{Alice}", cancel.By.Identity);
        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Contains("Cancelling #cmd0alice1", StringComparison.Ordinal));
        Assert.Equal("ephemeral", answer.Get("response_type"));
    }

    [Fact]
    public async Task Another_operator_may_not_cancel_someone_elses_command()
    {
        await StoreRunningCommandAsync("cmd0alice2", "alice");

        await _host.SendTimedAsync(Signed("/slack/interactivity", ButtonPayload(Bob, "cancel", "cmd0alice2", RootTs, _host.Slack.ResponseUrl("b1"), "trig-cancel-2"), FormType));

        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains("Only Alice, an approver or an admin may cancel #cmd0alice2", answer.Text);
        Assert.DoesNotContain(_host.Published.Snapshot, e => e.Type == EventTypes.CommandCancelRequested);
    }

    [Fact]
    public async Task An_unmapped_user_clicking_cancel_is_refused()
    {
        await StoreRunningCommandAsync("cmd0alice3", "alice");

        await _host.SendTimedAsync(Signed("/slack/interactivity", ButtonPayload(Stranger, "cancel", "cmd0alice3", RootTs, _host.Slack.ResponseUrl("s1"), "trig-cancel-3"), FormType));

        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains("not mapped to a ChatOps user", answer.Text);
        Assert.DoesNotContain(_host.Published.Snapshot, e => e.Type == EventTypes.CommandCancelRequested);
    }

    [Fact]
    public async Task A_replayed_click_cancels_once()
    {
        await StoreRunningCommandAsync("cmd0alice4", "alice");
        var body = ButtonPayload(Alice, "cancel", "cmd0alice4", RootTs, _host.Slack.ResponseUrl("r1"), "trig-cancel-4");

        for (var i = 0; i < 3; i++) await _host.SendTimedAsync(Signed("/slack/interactivity", body, FormType));

        await _host.Published.WaitUntilAsync(p => p.Any(e => e.Type == EventTypes.CommandCancelRequested));
        await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Contains("Cancelling", StringComparison.Ordinal));
        Assert.Single(_host.Published.Snapshot, e => e.Type == EventTypes.CommandCancelRequested);
        Assert.Single(_host.Slack.Calls.Snapshot, c => c.Method == "response");
    }

    [Theory]
    [InlineData(Viewer, "approve", "al0001", "not allowed to run `approve`")]
    [InlineData(Alice, "deny", "al0001", "not allowed to run `deny`")]
    [InlineData(Admin, "approve", "al0001", "There is no approval #al0001")]
    [InlineData(Viewer, "alert_ack", "ack al0001", "not allowed to run `ack`")]
    [InlineData(Alice, "alert_resolve", "resolve al0001", "al0001")]
    [InlineData(Alice, "alert_ack", "resolve al0001", "carries no command ChatOps can run")]
    [InlineData(Stranger, "approve", "al0001", "not mapped to a ChatOps user")]
    [InlineData(Alice, "self_destruct", "al0001", "not one ChatOps knows")]
    public async Task Other_buttons_run_their_command_as_the_clicking_user(string user, string action, string value, string expected)
    {
        await _host.SendTimedAsync(Signed("/slack/interactivity", ButtonPayload(user, action, value, RootTs, _host.Slack.ResponseUrl("x"), "trig-" + user + action + value.Length), FormType));

        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains(expected, answer.Text);
    }

    [Fact]
    public async Task A_response_url_that_is_not_Slacks_is_never_called()
    {
        await StoreRunningCommandAsync("cmd0alice5", "alice");

        using var response = await _host.SendAsync(Signed("/slack/interactivity", ButtonPayload(Alice, "cancel", "cmd0alice5", RootTs, "https://attacker.example/collect", "trig-cancel-5"), FormType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _host.Logs.Lines.WaitUntilAsync(lines => lines.Any(l => l.Contains("bad_response_url", StringComparison.Ordinal)));
    }

    private async Task StoreRunningCommandAsync(string id, string userId)
    {
        var user = await _host.Get<IUserStore>().GetUserAsync(userId);
        var record = new CommandRecord
        {
            Id = id,
            RequestId = id,
            ServerId = "web-1",
            CommandName = "run",
            Action = "sleep",
            Text = "run sleep 30 on web-1",
            Requester = new Requester(userId, $"slack:{Team}/{Alice}", user!.DisplayName),
            ReplyTo = new ChatRef("slack", Channel, RootTs, new Dictionary<string, string> { ["root"] = RootTs }),
            State = CommandState.Running,
            Timeout = TimeSpan.FromMinutes(5),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        Assert.True(await _host.Get<ICommandStore>().TryCreateAsync(record));
    }
}
