using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace ChatOps.Teams.Tests.Support;

/// <summary>One connector request as the fake answered it, stamped with the test's clock.</summary>
public sealed record ConnectorCall(DateTimeOffset At, string Method, string Path, int Status, string? RetryAfter, JsonObject? Body)
{
    /// <summary>Which conversation's limit the call counts against: the channel for a new conversation, else the conversation.</summary>
    public string Conversation => Path == "/v3/conversations" ? (string?)Body?["channelData"]?["channel"]?["id"] ?? "" : Path.Split('/')[3];

    public bool Delivered => Status == 200;
}

/// <summary>What the fake answers instead of success: a status and maybe a Retry-After.</summary>
public sealed record ConnectorFault(int Status, string? RetryAfter = null);

/// <summary>
/// The Bot Framework connector on WireMock.Net for bursts: a token, a new conversation (with its own id)
/// per created thread, activity ids for posts, and scripted faults. Every call is recorded with the time
/// on the test's clock.
/// </summary>
public sealed class ThrottlingConnector : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly TimeProvider _clock;
    private readonly ConcurrentQueue<ConnectorCall> _calls = new();
    private int _conversations;
    private int _activities;

    public ThrottlingConnector(TimeProvider clock)
    {
        _clock = clock;
        _server.Given(Request.Create().WithPath("/botframework.com/oauth2/v2.0/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(new JsonObject { ["token_type"] = "Bearer", ["expires_in"] = 86400, ["access_token"] = "bot-token-1" }.ToJsonString()));
        _server.Given(Request.Create().WithPath(new RegexMatcher("^/v3/.*$")).UsingAnyMethod())
            .RespondWith(Response.Create().WithCallback(Answer));
    }

    public string ServiceUrl => _server.Url + "/";
    public string TokenEndpoint => _server.Url + "/botframework.com/oauth2/v2.0/token";

    /// <summary>Returns a fault for a call, or null to answer it normally.</summary>
    public Func<ConnectorCall, ConnectorFault?>? Fault { get; set; }

    public IReadOnlyList<ConnectorCall> Calls => _calls.ToList();

    private ResponseMessage Answer(IRequestMessage request)
    {
        var path = Uri.UnescapeDataString(request.AbsolutePath);
        var body = string.IsNullOrEmpty(request.Body) ? null : JsonNode.Parse(request.Body) as JsonObject;
        var call = new ConnectorCall(_clock.GetUtcNow(), request.Method, path, 200, null, body);
        if (Fault?.Invoke(call) is { } fault)
        {
            _calls.Enqueue(call with { Status = fault.Status, RetryAfter = fault.RetryAfter });
            return Reply(fault.Status, """{"error":{"code":"scripted","message":"scripted failure"}}""", fault.RetryAfter);
        }

        _calls.Enqueue(call);
        if (path == "/v3/conversations")
        {
            var n = Interlocked.Increment(ref _conversations);
            return Reply(200, new JsonObject { ["id"] = $"19:alert{n}@thread.tacv2;messageid={n}", ["activityId"] = $"{n}" }.ToJsonString());
        }

        return Reply(200, new JsonObject { ["id"] = request.Method == "PUT" ? "updated" : $"bot-activity-{Interlocked.Increment(ref _activities)}" }.ToJsonString());
    }

    private static ResponseMessage Reply(int status, string body, string? retryAfter = null)
    {
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new WireMock.Util.BodyData { BodyAsString = body, DetectedBodyType = WireMock.Types.BodyType.String },
        };
        response.AddHeader("Content-Type", "application/json");
        if (retryAfter is not null) response.AddHeader("Retry-After", retryAfter);
        return response;
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
