using System.Globalization;
using System.Net;
using System.Text;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>
/// Reliability-security test 12 on each of Slack's three doors: a body over 64 KiB, announced or streamed
/// without a length, is refused with 413 and a reason before the signature is even checked, and nothing
/// is published or posted.
/// </summary>
public sealed class ReliabilitySlackLimitTests : IAsyncLifetime
{
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, bool> Doors() => new()
    {
        { "/slack/commands", false },
        { "/slack/commands", true },
        { "/slack/events", false },
        { "/slack/events", true },
        { "/slack/interactivity", false },
        { "/slack/interactivity", true },
    };

    [Theory]
    [MemberData(nameof(Doors))]
    public async Task A_body_over_64_KiB_is_refused_with_413_and_does_nothing(string path, bool streamed)
    {
        var padding = new string('a', 70_000);
        var body = path switch
        {
            "/slack/commands" => SlashForm(Admin, "run web-1 echo " + padding, "trigger-big-" + streamed),
            "/slack/events" => MentionEvent("EvBIG" + streamed, Admin, "<@U0BOT0001> run web-1 echo " + padding),
            _ => ButtonPayload(Admin, "cancel", padding, "1700000000.000100", null, "trigger-big-click-" + streamed),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        var ts = Now.ToString(CultureInfo.InvariantCulture);
        var content = streamed ? new ChunkedContent(bytes) : (HttpContent)new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(path == "/slack/events" ? JsonType : FormType);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("X-Slack-Request-Timestamp", ts);
        request.Headers.Add("X-Slack-Signature", SlackSignatureVerifier.Sign(Secret, ts, bytes));

        var (response, answer, _) = await _host.SendTimedAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than 65536 bytes", answer, StringComparison.Ordinal);

        // A marker command after it is the only thing published and the only root posted.
        var (marker, markerBody, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, "run uptime on web-1", "trigger-marker-" + Guid.NewGuid()), FormType));
        Assert.Equal(HttpStatusCode.OK, marker.StatusCode);
        var published = await _host.Published.WaitUntilAsync(p => p.Count >= 1);
        Assert.Single(published);
        Assert.Equal("alice", _host.Requested.Single().Requester.UserId);
        Assert.False(string.IsNullOrEmpty(markerBody));
    }

    /// <summary>Sent without a Content-Length, so only counting while reading can stop it.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
