using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>The page's live feed is pushed (server-sent events), and untrusted output leaves the API only as JSON.</summary>
public sealed class LiveAndOutputTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    [Fact]
    public async Task Agent_status_and_metrics_are_pushed_to_the_page_as_they_happen()
    {
        var page = await App.SignInAsync("admin");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live");
        using var response = await page.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var stream = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await stream.ReadLineAsync());

        var now = DateTimeOffset.UtcNow;
        var bus = App.Get<IEventBus>();
        await bus.PublishAsync(Topics.Events, Envelope.Create(EventTypes.AgentConnected, "web-9", new AgentConnected("web-9", "node-a", "c1", "1.2.3", now), now));
        await bus.PublishAsync(Topics.Metrics, Envelope.Create(EventTypes.MetricsReported, "web-9",
            new MetricsReported(new MetricSnapshot("web-9", now, [new MetricSample(MetricNames.CpuPercent, new Dictionary<string, string>(), 42.5)])), now));

        // Two topics, two consumers: the events may arrive in either order.
        var events = await NextEventsAsync(stream, "agent", "metrics");
        var agent = events["agent"];
        var metrics = events["metrics"];
        Assert.Equal("web-9", agent.GetProperty("serverId").GetString());
        Assert.True(agent.GetProperty("online").GetBoolean());
        Assert.Equal("cpu 42.5%", metrics.GetProperty("summary").GetString());
    }

    [Fact]
    public async Task The_live_feed_needs_a_session_like_everything_else()
    {
        using var anonymous = App.Anonymous();
        using var response = await anonymous.GetAsync("/api/live");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Hostile_agent_output_comes_back_as_inert_json()
    {
        const string payload = "<script>window.pwned=1</script><img src=x onerror=alert(1)>\u001b[31mred\u001b[0m";
        var commands = App.Get<ICommandStore>();
        await commands.TryCreateAsync(new CommandRecord
        {
            Id = "xss-1",
            RequestId = "xss-1",
            ServerId = "web-1",
            CommandName = "run",
            Action = "cat",
            Text = "run web-1 cat </script>",
            Requester = new Requester("admin", "apikey:x", "admin"),
            ReplyTo = new ChatRef("web", "console", "t1"),
            State = CommandState.Succeeded,
            Timeout = TimeSpan.FromSeconds(5),
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await commands.AppendOutputAsync(new OutputChunk("xss-1", 1, "stdout", payload, DateTimeOffset.UtcNow));
        using var admin = App.AdminClient();

        using var response = await admin.GetAsync("/api/commands/xss-1/output");
        var raw = await response.Content.ReadAsStringAsync();
        var chunks = JsonSerializer.Deserialize<JsonElement>(raw);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.DoesNotContain("<script>", raw);
        Assert.DoesNotContain("<img", raw);
        Assert.Equal(payload, chunks[0].GetProperty("text").GetString());
    }

    private static async Task<Dictionary<string, JsonElement>> NextEventsAsync(StreamReader stream, params string[] names)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var found = new Dictionary<string, JsonElement>();
        string? eventName = null;
        while (found.Count < names.Length && await stream.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && names.Contains(eventName) && !found.ContainsKey(eventName!))
                found[eventName!] = JsonSerializer.Deserialize<JsonElement>(line["data: ".Length..]);
        }

        return found.Count == names.Length ? found : throw new EndOfStreamException($"the stream ended before events {string.Join(", ", names)}");
    }
}
