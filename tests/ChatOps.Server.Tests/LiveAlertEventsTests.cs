using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Alerts;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>
/// Alert lifecycle steps reach the page over <c>/api/live</c> as <c>alert</c> events, with the same
/// session check and <c>?servers=</c> narrowing as metrics.
/// </summary>
public sealed class LiveAlertEventsTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    [Fact]
    public async Task A_breaching_sample_fires_an_alert_that_is_pushed_to_the_page_then_its_ack_and_resolve()
    {
        await CreateRuleAsync("live-cpu-1", "live-srv-1");
        var page = await App.SignInAsync("admin");
        using var live = await LiveStream.OpenAsync(page.Client, "/api/live?servers=live-srv-1");

        await ReportCpuAsync("live-srv-1", 97);
        var fired = await live.NextAsync("alert", e => e.GetProperty("serverId").GetString() == "live-srv-1");

        Assert.Equal(AlertEventTypes.Fired, fired.GetProperty("type").GetString());
        Assert.Equal("live-cpu-1", fired.GetProperty("rule").GetString());
        Assert.Equal("firing", fired.GetProperty("state").GetString());
        Assert.Equal("critical", fired.GetProperty("severity").GetString());
        Assert.Equal(97, fired.GetProperty("value").GetDouble());
        var alertId = fired.GetProperty("alertId").GetString()!;
        Assert.NotNull(await App.Get<IAlertStore>().GetAsync(alertId));

        using var admin = App.AdminClient();
        using (var ack = await admin.PostAsJsonAsync("/api/commands", new { text = $"ack {alertId}" }))
            Assert.True(ack.IsSuccessStatusCode, await ack.Content.ReadAsStringAsync());
        var acknowledged = await live.NextAsync("alert", e => e.GetProperty("alertId").GetString() == alertId);
        Assert.Equal(AlertEventTypes.Acknowledged, acknowledged.GetProperty("type").GetString());
        Assert.Equal("acknowledged", acknowledged.GetProperty("state").GetString());

        await ReportCpuAsync("live-srv-1", 10);
        var resolved = await live.NextAsync("alert", e => e.GetProperty("alertId").GetString() == alertId);
        Assert.Equal(AlertEventTypes.Resolved, resolved.GetProperty("type").GetString());
        Assert.Equal("resolved", resolved.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_page_watching_other_servers_does_not_get_the_alert_and_one_watching_all_does()
    {
        await CreateRuleAsync("live-cpu-2", "live-srv-2");
        await CreateRuleAsync("live-cpu-3", "live-srv-3");
        var page = await App.SignInAsync("admin");
        using var narrowed = await LiveStream.OpenAsync(page.Client, "/api/live?servers=live-srv-3");
        using var everything = await LiveStream.OpenAsync(page.Client, "/api/live");

        await ReportCpuAsync("live-srv-2", 95);
        await ReportCpuAsync("live-srv-3", 96);

        var first = await everything.NextAsync("alert", e => e.GetProperty("serverId").GetString() is "live-srv-2" or "live-srv-3");
        var second = await everything.NextAsync("alert", e => e.GetProperty("serverId").GetString() is "live-srv-2" or "live-srv-3");
        Assert.Equal(["live-srv-2", "live-srv-3"], new[] { first, second }.Select(e => e.GetProperty("serverId").GetString()).Order());
        // The narrowed page's first alert event is its own server's: live-srv-2's, published first, was never sent to it.
        var narrowedFirst = await narrowed.NextAsync("alert", _ => true);
        Assert.Equal("live-srv-3", narrowedFirst.GetProperty("serverId").GetString());
        Assert.Equal("live-cpu-3", narrowedFirst.GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Without_a_session_the_alert_feed_is_refused()
    {
        using var anonymous = App.Anonymous();
        using var response = await anonymous.GetAsync("/api/live?servers=live-srv-1");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task CreateRuleAsync(string name, string serverId)
    {
        await App.Get<IServerStore>().UpsertAsync(new Core.Domain.Server(serverId, null, ["role:live"], DateTimeOffset.UtcNow));
        using var admin = App.AdminClient();
        using var response = await admin.PostAsJsonAsync("/api/alerts/rules", new
        {
            name,
            metric = MetricNames.CpuPercent,
            target = serverId,
            comparator = ">",
            threshold = 90,
            @for = "0s",
            severity = "critical",
            routes = new[] { new { platform = "web", channel = "ops" } },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>As an agent's metrics frame arrives: on metrics-topic, where the evaluator reads it.</summary>
    private Task ReportCpuAsync(string serverId, double value)
    {
        var now = DateTimeOffset.UtcNow;
        return App.Get<IEventBus>().PublishAsync(Topics.Metrics, Envelope.Create(EventTypes.MetricsReported, serverId,
            new MetricsReported(new MetricSnapshot(serverId, now, [new MetricSample(MetricNames.CpuPercent, new Dictionary<string, string>(), value)])), now));
    }

    /// <summary>One open <c>/api/live</c> stream, read event by event.</summary>
    private sealed class LiveStream : IDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private LiveStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public static async Task<LiveStream> OpenAsync(HttpClient client, string path)
        {
            var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            // The page is joined (and its servers subscribed) once this line is written.
            Assert.Equal("retry: 3000", await reader.ReadLineAsync());
            return new LiveStream(response, reader);
        }

        /// <summary>The next <paramref name="name"/> event matching <paramref name="match"/>; others are skipped.</summary>
        public async Task<JsonElement> NextAsync(string name, Func<JsonElement, bool> match)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            string? eventName = null;
            while (await _reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line["event: ".Length..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == name
                         && JsonSerializer.Deserialize<JsonElement>(line["data: ".Length..]) is var data && match(data))
                    return data;
            }

            throw new EndOfStreamException($"the live stream ended before an '{name}' event");
        }

        public void Dispose()
        {
            _reader.Dispose();
            _response.Dispose();
        }
    }
}
