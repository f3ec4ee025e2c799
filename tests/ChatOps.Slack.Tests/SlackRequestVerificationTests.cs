using System.Net;
using System.Text;
using ChatOps.Slack.Tests.Support;
using static ChatOps.Slack.Tests.Support.SlackRequests;

namespace ChatOps.Slack.Tests;

/// <summary>
/// Reliability test 1, 2, 12 and 13 at the HTTP door: anything not signed by Slack, stale, oversized or
/// malformed is refused with a log line, and nothing reaches the bus or Slack.
/// </summary>
public sealed class SlackRequestVerificationTests : IAsyncLifetime
{
    private SlackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SlackTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string> BadSignatures => new()
    {
        "missing",
        "malformed",
        "wrong",
        "body changed by one byte",
        "other app's secret",
        "stale by 301 s",
        "301 s in the future",
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task An_admin_slash_command_that_is_not_properly_signed_is_refused_and_runs_nothing(string variant)
    {
        var body = SlashForm(Admin, "run uptime on web-1", "trigger-" + variant.Replace(' ', '-'));
        var request = variant switch
        {
            "missing" => Unsigned("/slack/commands", Encoding.UTF8.GetBytes(body), FormType),
            "malformed" => WithSignature(Signed("/slack/commands", body, FormType), "v0=not-hex"),
            "wrong" => WithSignature(Signed("/slack/commands", body, FormType), "v0=" + new string('a', 64)),
            "body changed by one byte" => ChangeOneByte(Signed("/slack/commands", body, FormType), body),
            "other app's secret" => Signed("/slack/commands", body, FormType, secret: "a-different-apps-signing-secret"),
            "stale by 301 s" => Signed("/slack/commands", body, FormType, timestamp: Now - 301),
            "301 s in the future" => Signed("/slack/commands", body, FormType, timestamp: Now + 301),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };

        using var response = await _host.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await _host.Logs.Lines.WaitUntilAsync(lines => lines.Any(l => l.Contains("Refused a request to /slack/commands", StringComparison.Ordinal)));
        await AssertNothingHappenedAsync();
    }

    [Theory]
    [InlineData("/slack/events")]
    [InlineData("/slack/interactivity")]
    public async Task Events_and_clicks_need_a_signature_too(string path)
    {
        var body = path == "/slack/events"
            ? MentionEvent("Ev0UNSIGNED", Admin, "<@U0BOT0001> run uptime on web-1")
            : ButtonPayload(Admin, "cancel", "abc", "1700000000.000100", null, "trigger-unsigned");

        using var response = await _host.SendAsync(Unsigned(path, Encoding.UTF8.GetBytes(body), path == "/slack/events" ? JsonType : FormType));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task Url_verification_is_answered_only_when_signed()
    {
        const string body = """{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}""";

        var (signed, signedBody, _) = await _host.SendTimedAsync(Signed("/slack/events", body, JsonType));
        using var unsigned = await _host.SendAsync(Unsigned("/slack/events", Encoding.UTF8.GetBytes(body), JsonType));

        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Contains("\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\"", signedBody);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }

    [Fact]
    public async Task Ssl_check_gets_a_bare_200_and_does_nothing()
    {
        var body = Form(new Dictionary<string, string> { ["ssl_check"] = "1", ["token"] = "legacy" });

        using var response = await _host.SendAsync(Unsigned("/slack/commands", Encoding.UTF8.GetBytes(body), FormType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_refused_with_413_before_anything_else()
    {
        var body = SlashForm(Admin, "run web-1 echo " + new string('a', 70_000), "trigger-huge");

        using var response = await _host.SendAsync(Signed("/slack/commands", body, FormType));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task Text_longer_than_Slack_allows_gets_a_clear_reply_and_no_command()
    {
        var (response, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Admin, "run web-1 echo " + new string('a', 40_001), "trigger-long"), FormType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("text is longer than Slack allows", body);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task Text_over_the_command_limit_is_answered_with_the_limit()
    {
        var (response, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Admin, "run web-1 echo " + new string('a', 5_000), "trigger-4k"), FormType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("too long", body);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task A_deeply_nested_json_event_is_refused_at_the_parser()
    {
        var bomb = new string('[', 30_000) + new string(']', 30_000); // deep, yet under the 64 KiB cap
        var started = System.Diagnostics.Stopwatch.StartNew();

        using var response = await _host.SendAsync(Signed("/slack/events", bomb, JsonType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"took {started.Elapsed}");
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task An_event_with_duplicate_keys_is_refused()
    {
        var body = MentionEvent("Ev0DUPKEYS", Stranger, "<@U0BOT0001> run uptime on web-1").Replace("\"user\":\"U0STRANGE\"", "\"user\":\"U0STRANGE\",\"user\":\"U024BE7LH\"", StringComparison.Ordinal);

        using var response = await _host.SendAsync(Signed("/slack/events", body, JsonType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task A_form_with_a_repeated_user_id_is_refused()
    {
        var body = SlashForm(Stranger, "run uptime on web-1", "trigger-dup") + "&user_id=" + Admin;

        using var response = await _host.SendAsync(Signed("/slack/commands", body, FormType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_utf8_is_refused()
    {
        var bytes = Encoding.UTF8.GetBytes(SlashForm(Admin, "help", "trigger-utf8")).Concat(new byte[] { (byte)'&', (byte)'x', (byte)'=', 0xC3, 0x28 }).ToArray();
        var ts = Now.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = Unsigned("/slack/commands", bytes, FormType);
        request.Headers.Add("X-Slack-Request-Timestamp", ts);
        request.Headers.Add("X-Slack-Signature", SlackSignatureVerifier.Sign(Secret, ts, bytes));

        using var response = await _host.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task AssertNothingHappenedAsync()
    {
        // A marker command that is accepted proves the bus and Slack were working: anything the
        // refused request had caused would have been seen before it.
        var (response, body, _) = await _host.SendTimedAsync(Signed("/slack/commands", SlashForm(Alice, "run uptime on web-1", "trigger-marker-" + Guid.NewGuid()), FormType));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // On a loaded machine the marker may outrun the ack budget: then the ack says so and the
        // confirmation follows on the response_url. Either way the marker must be published once.
        Assert.True(body.Contains("Queued as", StringComparison.Ordinal) || body.Contains("Working on it", StringComparison.Ordinal), body);
        var published = await _host.Published.WaitUntilAsync(p => p.Count >= 1);
        Assert.Single(published);
        Assert.Equal("alice", _host.Requested.Single().Requester.UserId);
        Assert.Single(_host.Slack.Roots);
    }

    private static HttpRequestMessage WithSignature(HttpRequestMessage request, string signature)
    {
        request.Headers.Remove("X-Slack-Signature");
        request.Headers.Add("X-Slack-Signature", signature);
        return request;
    }

    private static HttpRequestMessage ChangeOneByte(HttpRequestMessage signed, string body)
    {
        // Same headers, body with one byte changed: U024BE7LH becomes U024BE7LI.
        var changed = Encoding.UTF8.GetBytes(body.Replace(Admin, "U024BE7LI", StringComparison.Ordinal));
        var request = Unsigned(signed.RequestUri!.ToString(), changed, FormType);
        foreach (var header in signed.Headers) request.Headers.Add(header.Key, header.Value);
        signed.Dispose();
        return request;
    }
}
