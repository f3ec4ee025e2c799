using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Teams.Internal;

namespace ChatOps.Teams;

/// <summary>What <c>POST v3/conversations</c> answers: the new conversation (thread) and its first activity.</summary>
public sealed record TeamsConversationResource(string Id, string? ActivityId, string? ServiceUrl);

/// <summary>
/// The Bot Connector REST API (v3) on HttpClient: send, reply, update, and create conversations.
/// Each call carries the bot's token (client credentials, cached), is retried on throttling and
/// transient failures (see <see cref="TeamsOptions.MaxAttempts"/>), and is refused before any
/// request when the serviceUrl is neither one a validated activity brought nor an allowed one.
/// Final failures throw <see cref="ChatDeliveryException"/> (platform <c>teams</c>).
/// </summary>
public sealed class TeamsConnectorClient
{
    private readonly ResilientHttp _http;
    private readonly ConnectorTokens _tokens;
    private readonly ServiceUrls _serviceUrls;

    internal TeamsConnectorClient(ResilientHttp http, ConnectorTokens tokens, ServiceUrls serviceUrls)
    {
        _http = http;
        _tokens = tokens;
        _serviceUrls = serviceUrls;
    }

    /// <summary>Posts a message into a conversation, as a reply to <paramref name="replyToId"/> when given; returns the new activity id.</summary>
    public async Task<string?> SendActivityAsync(string serviceUrl, string conversationId, JsonObject activity, string? replyToId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var path = $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities"
            + (string.IsNullOrEmpty(replyToId) ? "" : "/" + Uri.EscapeDataString(replyToId));
        var body = await CallAsync(HttpMethod.Post, serviceUrl, path, activity, "send", cancellationToken);
        return ReadString(body, "id");
    }

    /// <summary>Replaces an activity we posted (e.g. a command card with its final state).</summary>
    public async Task UpdateActivityAsync(string serviceUrl, string conversationId, string activityId, JsonObject activity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentException.ThrowIfNullOrEmpty(activityId);
        activity["id"] = activityId;
        var path = $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities/{Uri.EscapeDataString(activityId)}";
        await CallAsync(HttpMethod.Put, serviceUrl, path, activity, "update", cancellationToken);
    }

    /// <summary>Creates a conversation: a new thread in a channel, or a 1:1 chat (proactive messages).</summary>
    public async Task<TeamsConversationResource> CreateConversationAsync(string serviceUrl, JsonObject parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var body = await CallAsync(HttpMethod.Post, serviceUrl, "v3/conversations", parameters, "create conversation", cancellationToken);
        var id = ReadString(body, "id") ?? throw new ChatDeliveryException(ResilientHttp.Platform, "bad_response", "create conversation answered without an id");
        return new TeamsConversationResource(id, ReadString(body, "activityId"), ReadString(body, "serviceUrl"));
    }

    private async Task<string> CallAsync(HttpMethod method, string serviceUrl, string path, JsonNode body, string operation, CancellationToken cancellationToken)
    {
        if (!_serviceUrls.IsTrusted(serviceUrl, out var baseUrl))
            throw new ChatDeliveryException(ResilientHttp.Platform, "untrusted_service_url",
                $"refusing to send the bot's token to '{serviceUrl}': it arrived in no validated activity and is not in ChatOps:Teams:AllowedServiceUrls");

        var url = baseUrl + path;
        var json = body.ToJsonString(ChatOpsJson.Options);
        var token = await _tokens.GetAsync(cancellationToken);
        try
        {
            return await _http.SendAsync(() => Request(method, url, json, token), operation, cancellationToken);
        }
        catch (ChatDeliveryException ex) when (ex.ErrorCode == "http_401")
        {
            // A token the connector no longer takes (revoked secret, clock skew): one fresh try.
            _tokens.Invalidate(token);
            var fresh = await _tokens.GetAsync(cancellationToken);
            return await _http.SendAsync(() => Request(method, url, json, fresh), operation, cancellationToken);
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, string json, string token)
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static string? ReadString(string body, string property)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = ChatOpsJson.MaxDepth });
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
