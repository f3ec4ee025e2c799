using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Teams;

/// <summary>
/// Teams end to end: activities signed like the Bot Framework's go into the real chatops process,
/// commands run on a real agent, and every reply and card update is seen at the fake connector.
/// </summary>
public sealed class TeamsFlowTests(TeamsFixture fixture) : IClassFixture<TeamsFixture>
{
    private FakeTeamsService Teams => fixture.Teams;
    private ChatOpsServer Server => fixture.Server;

    [Fact]
    public async Task A_message_runs_on_the_agent_and_the_thread_gets_the_real_output_and_the_updated_card()
    {
        var conversation = NewConversation();

        using var response = await Teams.SendAsync(Server.Http.BaseAddress!, Teams.Message(conversation, "m-uptime", "run uptime on web-1", TeamsFixture.AdminAad));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cardId = await CommandCardIdAsync(conversation, "m-uptime");
        var final = await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + cardId, StringComparison.Ordinal) && c.Shown.Contains("succeeded", StringComparison.Ordinal));
        Assert.Contains("\"title\":\"Exit code\",\"value\":\"0\"", final[0].Shown, StringComparison.Ordinal);

        var calls = Teams.CallsIn(conversation).Where(c => c.Status == 200).ToList();
        var output = calls.FindIndex(c => c.Method == "POST" && c.Shown.StartsWith("```", StringComparison.Ordinal) && c.Shown.Contains("load average", StringComparison.Ordinal));
        var finished = calls.FindIndex(c => c.Shown.Contains("finished on `web-1`: exit code 0", StringComparison.Ordinal));
        var updated = calls.FindIndex(c => c.Method == "PUT" && c.Shown.Contains("succeeded", StringComparison.Ordinal));
        Assert.True(output > 0, Describe(calls));
        Assert.True(finished > output, Describe(calls));
        Assert.True(updated > 0, Describe(calls));
        Assert.All(calls.Where(c => c.Method == "POST"), c => Assert.EndsWith("/activities/m-uptime", c.Path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redelivered_activity_never_runs_the_command_twice()
    {
        var conversation = NewConversation();
        var marker = "once-" + Guid.NewGuid().ToString("N")[..8];
        var activity = Teams.Message(conversation, "m-retried", $"run web-1 echo {marker}", TeamsFixture.AdminAad);

        // The Bot Framework retries an activity it got no timely answer for: twice at once, and once late.
        var first = await Task.WhenAll(Teams.SendAsync(Server.Http.BaseAddress!, activity), Teams.SendAsync(Server.Http.BaseAddress!, activity));
        Assert.All(first, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var cardId = await CommandCardIdAsync(conversation, "m-retried");
        await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + cardId, StringComparison.Ordinal) && c.Shown.Contains("succeeded", StringComparison.Ordinal));
        using var late = await Teams.SendAsync(Server.Http.BaseAddress!, activity);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);

        // A later command on the same server: anything the retries had started would have run before it.
        var barrier = Teams.Message(conversation, "m-barrier", "run web-1 echo barrier", TeamsFixture.AdminAad);
        await Teams.SendAsync(Server.Http.BaseAddress!, barrier);
        var barrierCard = await CommandCardIdAsync(conversation, "m-barrier");
        await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + barrierCard, StringComparison.Ordinal) && c.Shown.Contains("succeeded", StringComparison.Ordinal));

        var commands = await Server.Http.GetFromJsonAsync<JsonElement>("/api/commands?limit=500");
        Assert.Single(commands.EnumerateArray(), c => c.GetProperty("text").GetString()!.Contains(marker, StringComparison.Ordinal));
        var calls = Teams.CallsIn(conversation).Where(c => c.Status == 200).ToList();
        Assert.Single(calls, c => c.Shown.StartsWith("```", StringComparison.Ordinal) && c.Shown.Contains(marker, StringComparison.Ordinal));
        Assert.Single(calls, c => c.Method == "POST" && c.Path.EndsWith("/activities/m-retried", StringComparison.Ordinal) && c.Shown.Contains("AdaptiveCard", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_requester_clicking_Cancel_on_the_card_stops_a_running_sleep()
    {
        var conversation = NewConversation();
        await Teams.SendAsync(Server.Http.BaseAddress!, Teams.Message(conversation, "m-sleep", "run web-1 sleep 60", TeamsFixture.AdminAad));
        var card = (await Teams.WaitForAsync(c => c.Method == "POST" && c.Path.EndsWith("/activities/m-sleep", StringComparison.Ordinal) && c.Shown.Contains("AdaptiveCard", StringComparison.Ordinal)))[0];
        var cancel = card.Json["attachments"]![0]!["content"]!["actions"]!.AsArray().Single(a => (string?)a!["data"]!["action"] == "cancel")!;
        var commandId = (string)cancel["data"]!["commandId"]!;
        await Teams.WaitForAsync(c => c.Path.StartsWith($"/v3/conversations/{conversation}/", StringComparison.Ordinal) && c.Shown.Contains($"#{commandId} is running", StringComparison.Ordinal));

        var click = Teams.Click(conversation, "click-cancel", card.AnsweredId!, new JsonObject { ["action"] = "cancel", ["commandId"] = commandId }, TeamsFixture.AdminAad);
        using var clicked = await Teams.SendAsync(Server.Http.BaseAddress!, click);

        Assert.Equal(HttpStatusCode.OK, clicked.StatusCode);
        await Teams.WaitForAsync(c => c.Path.EndsWith("/activities/click-cancel", StringComparison.Ordinal) && c.Shown.Contains($"Cancelling #{commandId}", StringComparison.Ordinal));
        var updated = await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + card.AnsweredId, StringComparison.Ordinal) && c.Shown.Contains("cancelled", StringComparison.Ordinal), seconds: 30);
        Assert.DoesNotContain("\"action\":\"cancel\"", updated[0].Shown, StringComparison.Ordinal);
        // The router records the end on its own consumer, which may trail the notifier a little.
        await Eventually.MatchAsync(
            async () => (await Server.Http.GetFromJsonAsync<JsonElement>($"/api/commands/{commandId}")).GetProperty("state").GetString(),
            state => state == "cancelled", TimeSpan.FromSeconds(10), state => $"#{commandId} is {state}");
    }

    [Fact]
    public async Task Throttling_by_the_connector_is_waited_out_and_nothing_is_lost()
    {
        var conversation = NewConversation();
        var marker = "throttled-" + Guid.NewGuid().ToString("N")[..8];
        Teams.Script((429, "1"), (429, "1"), (429, null), (503, null));

        await Teams.SendAsync(Server.Http.BaseAddress!, Teams.Message(conversation, "m-throttled", $"run web-1 echo {marker}", TeamsFixture.AdminAad));

        var cardId = await CommandCardIdAsync(conversation, "m-throttled", seconds: 60);
        await Teams.WaitForAsync(c => c.Method == "PUT" && c.Path.EndsWith("/" + cardId, StringComparison.Ordinal) && c.Status == 200 && c.Shown.Contains("succeeded", StringComparison.Ordinal), seconds: 60);
        var calls = Teams.CallsIn(conversation);
        Assert.True(calls.Count(c => c.Status == 429) == 3, Describe(calls));
        var delivered = calls.Where(c => c.Status == 200).ToList();
        Assert.True(delivered.Count(c => c.Shown.StartsWith("```", StringComparison.Ordinal) && c.Shown.Contains(marker, StringComparison.Ordinal)) == 1, Describe(calls));
        Assert.Single(delivered, c => c.Shown.Contains("is running on `web-1`", StringComparison.Ordinal));
        Assert.Single(delivered, c => c.Shown.Contains("finished on `web-1`", StringComparison.Ordinal));
    }

    /// <summary>The id the connector gave the command card posted in reply to <paramref name="activityId"/>.</summary>
    private async Task<string> CommandCardIdAsync(string conversation, string activityId, int seconds = 30)
    {
        var cards = await Teams.WaitForAsync(c => c.Method == "POST" && c.Status == 200
            && c.Path == $"/v3/conversations/{conversation}/activities/{activityId}" && c.Shown.Contains("AdaptiveCard", StringComparison.Ordinal), seconds: seconds);
        return cards[0].AnsweredId!;
    }

    private static string Describe(IEnumerable<TeamsCall> calls) =>
        string.Join("\n", calls.Select(c => $"{c.Method} {c.Path} {c.Status}: {c.Shown[..Math.Min(c.Shown.Length, 160)]}"));

    private static string NewConversation() => $"19:{Guid.NewGuid():N}@thread.tacv2;messageid=1700000000000";
}
