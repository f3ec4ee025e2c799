using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ChatOps.EndToEnd.Tests.Slack;

/// <summary>Requests as Slack sends them to the chatops process, signed with the v0 scheme (written here independently).</summary>
public static class SignedSlack
{
    public const string Secret = "e2e-slack-signing-secret-0123456789";
    public const string Team = "T0E2ETEAM";
    public const string Channel = "C0E2ECHAN";

    public static HttpRequestMessage Request(string path, string body, string contentType, string secret = Secret)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        var baseString = Encoding.ASCII.GetBytes($"v0:{timestamp}:").Concat(bytes).ToArray();
        var signature = "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), baseString));
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", signature);
        return request;
    }

    public static HttpRequestMessage SlashCommand(string userId, string userName, string text, string triggerId, string responseUrl) =>
        Request("/slack/commands", Form(new Dictionary<string, string>
        {
            ["token"] = "legacy",
            ["team_id"] = Team,
            ["team_domain"] = "e2e",
            ["channel_id"] = Channel,
            ["channel_name"] = "ops",
            ["user_id"] = userId,
            ["user_name"] = userName,
            ["command"] = "/chatops",
            ["text"] = text,
            ["response_url"] = responseUrl,
            ["trigger_id"] = triggerId,
        }), "application/x-www-form-urlencoded");

    public static HttpRequestMessage Click(string userId, string actionId, string value, string messageTs, string responseUrl, string triggerId) =>
        Request("/slack/interactivity", Form(new Dictionary<string, string>
        {
            ["payload"] = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["type"] = "block_actions",
                ["user"] = new Dictionary<string, string> { ["id"] = userId, ["team_id"] = Team, ["username"] = "someone" },
                ["team"] = new Dictionary<string, string> { ["id"] = Team },
                ["container"] = new Dictionary<string, object> { ["type"] = "message", ["message_ts"] = messageTs, ["channel_id"] = Channel },
                ["channel"] = new Dictionary<string, string> { ["id"] = Channel },
                ["message"] = new Dictionary<string, string> { ["ts"] = messageTs },
                ["trigger_id"] = triggerId,
                ["response_url"] = responseUrl,
                ["actions"] = new[] { new Dictionary<string, string> { ["action_id"] = actionId, ["value"] = value, ["type"] = "button", ["block_id"] = "b" } },
            }),
        }), "application/x-www-form-urlencoded");

    private static string Form(Dictionary<string, string> fields) => new FormUrlEncodedContent(fields).ReadAsStringAsync().GetAwaiter().GetResult();
}
