using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ChatOps.Teams.Tests.Support;

namespace ChatOps.Teams.Tests;

/// <summary>
/// Reliability-security test 13 at <c>/api/messages</c>: bytes that are not UTF-8, anywhere in a validly
/// authenticated activity (a mapped field, a card's data, a field we keep unread), get a 400 with a
/// reason, never a 500.
/// </summary>
public sealed class ReliabilityTeamsEncodingTests(TeamsHost host) : IClassFixture<TeamsHost>
{
    [Theory]
    [InlineData("text")]
    [InlineData("card data")]
    [InlineData("unknown field")]
    public async Task Bytes_that_are_not_utf8_get_a_400_with_a_reason(string where)
    {
        var conversation = "19:utf8-" + Guid.NewGuid().ToString("N") + "@thread.tacv2";
        var activity = host.Message(conversation, "utf8-" + where.Replace(' ', '-'), "help");
        const string marker = "MARKER-TO-REPLACE";
        switch (where)
        {
            case "text":
                activity["text"] = marker;
                break;
            case "card data":
                activity.Remove("text");
                activity["value"] = new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Submit", ["verb"] = "cancel", ["data"] = new JsonObject { ["commandId"] = marker } } };
                break;
            default:
                activity["someFieldFromTheFuture"] = marker;
                break;
        }

        var json = Encoding.UTF8.GetBytes(activity.ToJsonString());
        var at = Encoding.UTF8.GetString(json).IndexOf(marker, StringComparison.Ordinal);
        byte[] bytes = [.. json[..at], 0xC3, 0x28, 0xFF, .. json[(at + marker.Length)..]];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + host.ValidToken());

        using var response = await host.Http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {answer}");
        Assert.Contains("message", answer, StringComparison.Ordinal);
    }
}
