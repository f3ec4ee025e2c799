using System.Text;
using System.Text.Json;

namespace ChatOps.Slack.Tests.Support;

/// <summary>Requests the way Slack sends them: form or JSON bodies, signed with the v0 scheme.</summary>
public static class SlackRequests
{
    /// <summary>Slack's documented example secret (A1.1), so test bodies are signed like the real thing.</summary>
    public const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";

    public const string Team = "T0TEAM001";
    public const string Channel = "C0CHAN001";
    public const string Admin = "U024BE7LH";
    public const string Alice = "U0ALICE01";
    public const string Bob = "U0BOB0001";
    public const string Viewer = "U0VIEW001";
    public const string Carol = "U0CAROL01";
    public const string Dave = "U0DAVE001";
    public const string Stranger = "U0STRANGE";
    public const string Bot = "U0BOT0001";

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string SlashForm(string userId, string text, string triggerId, string? userName = null, string channel = Channel, string? responseUrl = null) =>
        Form(new Dictionary<string, string>
        {
            ["token"] = "legacy-token-ignored",
            ["team_id"] = Team,
            ["team_domain"] = "chatops-test",
            ["channel_id"] = channel,
            ["channel_name"] = "ops",
            ["user_id"] = userId,
            ["user_name"] = userName ?? "someone",
            ["command"] = "/chatops",
            ["text"] = text,
            ["response_url"] = responseUrl ?? "https://hooks.slack.com/commands/T0TEAM001/1/abc",
            ["trigger_id"] = triggerId,
            ["api_app_id"] = "A0APP0001",
        });

    public static string Form(IReadOnlyDictionary<string, string> fields) =>
        new FormUrlEncodedContent(fields).ReadAsStringAsync().GetAwaiter().GetResult();

    public static string MentionEvent(string eventId, string userId, string text, string ts = "1515449522.000016", string channel = Channel, string? threadTs = null) =>
        EventEnvelope(eventId, new Dictionary<string, object?>
        {
            ["type"] = "app_mention",
            ["user"] = userId,
            ["text"] = text,
            ["ts"] = ts,
            ["channel"] = channel,
            ["event_ts"] = ts,
            ["thread_ts"] = threadTs,
        });

    public static string EventEnvelope(string eventId, IReadOnlyDictionary<string, object?> inner) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["token"] = "legacy",
            ["team_id"] = Team,
            ["api_app_id"] = "A0APP0001",
            ["event"] = inner.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value),
            ["type"] = "event_callback",
            ["event_id"] = eventId,
            ["event_time"] = 1515449522,
            ["authorizations"] = new[] { new Dictionary<string, object> { ["team_id"] = Team, ["user_id"] = Bot, ["is_bot"] = true, ["is_enterprise_install"] = false } },
        });

    public static string ButtonPayload(string userId, string actionId, string value, string messageTs, string? responseUrl, string triggerId) =>
        Form(new Dictionary<string, string> { ["payload"] = ButtonJson(userId, actionId, value, messageTs, responseUrl, triggerId) });

    /// <summary>A block_actions payload as JSON (what the form's payload field carries, and what Socket Mode sends).</summary>
    public static string ButtonJson(string userId, string actionId, string value, string messageTs, string? responseUrl, string triggerId) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["type"] = "block_actions",
                ["user"] = new Dictionary<string, string> { ["id"] = userId, ["username"] = "whoever", ["name"] = "whoever", ["team_id"] = Team },
                ["team"] = new Dictionary<string, string> { ["id"] = Team, ["domain"] = "chatops-test" },
                ["api_app_id"] = "A0APP0001",
                ["container"] = new Dictionary<string, object> { ["type"] = "message", ["message_ts"] = messageTs, ["channel_id"] = Channel, ["is_ephemeral"] = false },
                ["trigger_id"] = triggerId,
                ["channel"] = new Dictionary<string, string> { ["id"] = Channel, ["name"] = "ops" },
                ["message"] = new Dictionary<string, string> { ["ts"] = messageTs, ["text"] = "root" },
                ["response_url"] = responseUrl,
                ["actions"] = new[] { new Dictionary<string, string> { ["action_id"] = actionId, ["block_id"] = "b1", ["type"] = "button", ["value"] = value, ["action_ts"] = "1700000000.1" } },
            });

    public static HttpRequestMessage Signed(string path, string body, string contentType, long? timestamp = null, string secret = Secret, int? retryNum = null)
    {
        var ts = (timestamp ?? Now).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = Unsigned(path, bytes, contentType);
        request.Headers.Add("X-Slack-Request-Timestamp", ts);
        request.Headers.Add("X-Slack-Signature", SlackSignatureVerifier.Sign(secret, ts, bytes));
        if (retryNum is { } retry)
        {
            request.Headers.Add("X-Slack-Retry-Num", retry.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
        }

        return request;
    }

    public static HttpRequestMessage Unsigned(string path, byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    public const string FormType = "application/x-www-form-urlencoded";
    public const string JsonType = "application/json";
}
