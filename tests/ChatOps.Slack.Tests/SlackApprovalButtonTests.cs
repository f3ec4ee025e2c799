using System.Text.Json;
using ChatOps.Core.Approvals;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>
/// Approve / Deny: the request waiting for approval shows the buttons in its thread and on its root;
/// a click is the typed <c>approve &lt;id&gt;</c> / <c>deny &lt;id&gt;</c> of the clicking user, so the
/// approval service's rules (approver role, no self-approval, expiry) decide.
/// </summary>
public sealed class SlackApprovalButtonTests : IAsyncLifetime
{
    private const string RootTs = "1700000020.000100";
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_request_awaiting_approval_shows_approve_and_deny_in_its_thread_and_on_its_root()
    {
        var approval = await SeedApprovalAsync("apr0show1", requesterId: "carol", Carol);
        var notifier = new ApprovalNotifier(_host.Get<IEnumerable<IChatClient>>(), TimeProvider.System);

        await notifier.HandleAsync(Envelope.Create(ApprovalEventTypes.Requested, approval.Target, new ApprovalRequested(approval.Id, approval.CommandName,
            approval.Target, approval.Servers, approval.Text, approval.Fingerprint, approval.Requester, approval.ExpiresAt, approval.ReplyTo), DateTimeOffset.UtcNow), default);

        var calls = await _host.Slack.WaitForAsync(c => c.Any(x => x.Method == "chat.update" && x.Delivered) && c.Any(x => x.Method == "chat.postMessage" && x.Delivered));
        var prompt = calls.Single(c => c.Method == "chat.postMessage" && c.Delivered);
        Assert.Equal(RootTs, prompt.ThreadTs);
        Assert.Contains("needs approval", prompt.Text);
        AssertButtons(prompt.BlocksJson, ("approve", "apr0show1"), ("deny", "apr0show1"));

        var root = calls.Single(c => c.Method == "chat.update" && c.Delivered);
        Assert.Equal(RootTs, root.Get("ts"));
        Assert.Contains("awaiting approval", root.BlockText);
        AssertButtons(root.BlocksJson, ("approve", "apr0show1"), ("deny", "apr0show1"));

        // Once it runs, the root no longer offers a decision.
        await _host.Get<SlackChatClient>().UpdateCommandAsync(approval.ReplyTo,
            new CommandView(approval.Id, "web-1", approval.Text, "Carol", CommandState.Running, null, null, null));
        var running = await _host.Slack.WaitForDeliveredAsync("chat.update", c => c.BlockText.Contains("*running*", StringComparison.Ordinal));
        Assert.DoesNotContain("\"action_id\":\"approve\"", running.BlocksJson);
    }

    [Fact]
    public async Task The_requester_clicking_approve_is_refused_and_nothing_is_approved()
    {
        var approval = await SeedApprovalAsync("apr0self1", requesterId: "carol", Carol);

        await ClickAsync(Carol, "approve", approval.Id, "trig-self");

        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains("You cannot approve your own request #apr0self1", answer.Text);
        Assert.Equal("ephemeral", answer.Get("response_type"));
        var decided = await DecisionsAsync(1);
        Assert.Equal(ApprovalDecisions.Refused, Assert.Single(decided).Decision);
        Assert.Equal(ApprovalState.Pending, (await _host.Get<IApprovalStore>().GetAsync(approval.Id))!.State);
    }

    [Fact]
    public async Task Another_approver_clicking_approve_approves_it_as_themselves()
    {
        var approval = await SeedApprovalAsync("apr0ok001", requesterId: "carol", Carol);

        await ClickAsync(Dave, "approve", approval.Id, "trig-approve");

        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains("Approved #apr0ok001", answer.Text);
        var decided = Assert.Single(await DecisionsAsync(1));
        Assert.Equal(ApprovalDecisions.Approved, decided.Decision);
        Assert.Equal("dave", decided.By!.UserId);
        Assert.Equal($"slack:{Team}/{Dave}", decided.By.Identity);
        var stored = await _host.Get<IApprovalStore>().GetAsync(approval.Id);
        Assert.Equal(ApprovalState.Approved, stored!.State);
        Assert.Equal("dave", stored.DecidedByUserId);
    }

    [Fact]
    public async Task An_approver_clicking_deny_denies_it_and_a_second_click_changes_nothing()
    {
        var approval = await SeedApprovalAsync("apr0deny1", requesterId: "carol", Carol);

        await ClickAsync(Dave, "deny", approval.Id, "trig-deny");
        var denied = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        await ClickAsync(Admin, "approve", approval.Id, "trig-late-approve");
        var late = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Contains("already", StringComparison.Ordinal));

        Assert.Contains("Denied #apr0deny1", denied.Text);
        Assert.Contains("#apr0deny1 was already denied by Dave", late.Text);
        Assert.Equal(ApprovalDecisions.Denied, Assert.Single(await DecisionsAsync(1)).Decision);
        Assert.Equal(ApprovalState.Denied, (await _host.Get<IApprovalStore>().GetAsync(approval.Id))!.State);
    }

    [Fact]
    public async Task An_expired_approval_cannot_be_approved_by_a_click()
    {
        var approval = await SeedApprovalAsync("apr0old01", requesterId: "carol", Carol, expiresIn: TimeSpan.FromMinutes(-1));

        await ClickAsync(Dave, "approve", approval.Id, "trig-expired");

        var answer = await _host.Slack.WaitForDeliveredAsync("response", c => c.Text.Length > 0);
        Assert.Contains("#apr0old01 expired", answer.Text);
        Assert.Equal(ApprovalState.Expired, (await _host.Get<IApprovalStore>().GetAsync(approval.Id))!.State);
        Assert.DoesNotContain(await DecisionsAsync(1), d => d.Decision == ApprovalDecisions.Approved);
    }

    private async Task ClickAsync(string user, string action, string value, string trigger)
    {
        using var response = await _host.SendAsync(Signed("/slack/interactivity", ButtonPayload(user, action, value, RootTs, _host.Slack.ResponseUrl(trigger), trigger), FormType));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<IReadOnlyList<ApprovalDecided>> DecisionsAsync(int atLeast)
    {
        var published = await _host.Published.WaitUntilAsync(p => p.Count(e => e.Type == ApprovalEventTypes.Decided) >= atLeast);
        return published.Where(e => e.Type == ApprovalEventTypes.Decided).Select(e => e.Read<ApprovalDecided>()).ToList();
    }

    private static void AssertButtons(string blocksJson, params (string ActionId, string Value)[] expected)
    {
        using var blocks = JsonDocument.Parse(blocksJson);
        var buttons = blocks.RootElement.EnumerateArray()
            .Where(b => b.GetProperty("type").GetString() == "actions")
            .SelectMany(b => b.GetProperty("elements").EnumerateArray())
            .Select(e => (e.GetProperty("action_id").GetString()!, e.GetProperty("value").GetString()!))
            .ToList();
        foreach (var button in expected) Assert.Contains(button, buttons);
    }

    /// <summary>A high-risk command stored as the router leaves it: awaiting approval, with its approval pending.</summary>
    private async Task<ApprovalRequest> SeedApprovalAsync(string id, string requesterId, string slackUser, TimeSpan? expiresIn = null)
    {
        var requester = new Requester(requesterId, $"slack:{Team}/{slackUser}", "Carol");
        var replyTo = new ChatRef("slack", Channel, RootTs, new Dictionary<string, string> { ["root"] = RootTs, ["request"] = id, ["user"] = slackUser });
        var now = DateTimeOffset.UtcNow;
        var record = new CommandRecord
        {
            Id = id,
            RequestId = id,
            ServerId = "db-1",
            CommandName = "restart",
            Action = "restart",
            Text = "restart db-1 postgres",
            Requester = requester,
            ReplyTo = replyTo,
            State = CommandState.AwaitingApproval,
            Timeout = TimeSpan.FromMinutes(5),
            CreatedAt = now,
        };
        Assert.True(await _host.Get<ICommandStore>().TryCreateAsync(record));
        var approval = new ApprovalRequest
        {
            Id = id,
            RequestId = id,
            CommandName = "restart",
            Target = "db-1",
            Action = "restart",
            Servers = ["db-1"],
            Fingerprint = ApprovalFingerprint.Compute("db-1", [record]),
            Text = record.Text,
            Requester = requester,
            ReplyTo = replyTo,
            State = ApprovalState.Pending,
            RequestedAt = now,
            ExpiresAt = now + (expiresIn ?? TimeSpan.FromMinutes(15)),
        };
        Assert.True(await _host.Get<IApprovalStore>().TryCreateAsync(approval));
        return approval;
    }
}
