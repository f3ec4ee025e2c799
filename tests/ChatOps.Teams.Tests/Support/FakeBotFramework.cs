using System.Collections.Specialized;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace ChatOps.Teams.Tests.Support;

/// <summary>
/// The Bot Framework at the HTTP wire (WireMock.Net): OpenID metadata, the signing keys (JWKS with
/// endorsements), the token endpoint and the connector API. Every request is logged so tests can wait
/// for sends and prove that none were made.
/// </summary>
public sealed class FakeBotFramework : IDisposable
{
    public const string AppId = "11111111-2222-3333-4444-555555555555";
    public const string AppPassword = "s3cret-app-password";
    public const string AccessToken = "bot-token-1";

    private int _activitySeq;

    public FakeBotFramework(params TestKey[] keys)
    {
        Server = WireMockServer.Start();
        Keys = keys.ToList();
        ServeMetadata();
        ServeKeys(Keys);
        ServeToken(AccessToken, 3600);
        ServeConnector();
    }

    public WireMockServer Server { get; }
    public List<TestKey> Keys { get; }

    /// <summary>The service URL Teams would send (ends with '/').</summary>
    public string ServiceUrl => Server.Url + "/";
    public string MetadataUrl => Server.Url + "/v1/.well-known/openidconfiguration";
    public string TokenEndpoint => Server.Url + "/botframework.com/oauth2/v2.0/token";

    public TeamsOptions Options(Action<TeamsOptions>? configure = null)
    {
        var options = new TeamsOptions
        {
            AppId = AppId,
            AppPassword = AppPassword,
            OpenIdMetadataUrl = MetadataUrl,
            TokenEndpoint = TokenEndpoint,
            RootCardWait = TimeSpan.FromSeconds(5),
        };
        options.AllowedServiceUrls.Clear();
        configure?.Invoke(options);
        return options;
    }

    public void ServeKeys(IEnumerable<TestKey> keys)
    {
        var jwks = new JsonObject { ["keys"] = new JsonArray(keys.Select(k => (JsonNode)k.Jwk()).ToArray()) };
        Server.Given(Request.Create().WithPath("/keys").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(jwks.ToJsonString()));
    }

    public void ServeToken(string token, int expiresIn) =>
        Server.Given(Request.Create().WithPath("/botframework.com/oauth2/v2.0/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(new JsonObject { ["token_type"] = "Bearer", ["expires_in"] = expiresIn, ["access_token"] = token }.ToJsonString()));

    /// <summary>
    /// Connector calls answer 200 with a fresh activity id (creating a conversation answers a thread
    /// id), unless <see cref="Script"/> queued other answers for the next calls.
    /// </summary>
    public void ServeConnector()
    {
        Server.Given(Request.Create().WithPath(new RegexMatcher("^/v3/conversations/.+/activities.*$")).UsingPost())
            .RespondWith(Response.Create().WithCallback(_ => Answer(() => new JsonObject { ["id"] = $"bot-activity-{Interlocked.Increment(ref _activitySeq)}" })));
        Server.Given(Request.Create().WithPath(new RegexMatcher("^/v3/conversations/.+/activities/.+$")).UsingPut())
            .RespondWith(Response.Create().WithCallback(_ => Answer(() => new JsonObject { ["id"] = "updated" })));
        Server.Given(Request.Create().WithPath("/v3/conversations").UsingPost())
            .RespondWith(Response.Create().WithCallback(_ => Answer(() => new JsonObject { ["id"] = "19:alerts@thread.tacv2;messageid=777", ["activityId"] = "777" })));
    }

    /// <summary>The next connector calls get these answers, in order (e.g. a 429 with Retry-After), then 200s again.</summary>
    public void Script(params (int Status, string? RetryAfter)[] answers)
    {
        foreach (var answer in answers) _script.Enqueue(answer);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<(int Status, string? RetryAfter)> _script = new();

    private ResponseMessage Answer(Func<JsonObject> success)
    {
        var (status, retryAfter) = _script.TryDequeue(out var scripted) ? scripted : (200, null);
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new WireMock.Util.BodyData
            {
                BodyAsString = status == 200 ? success().ToJsonString() : "{\"error\":{\"code\":\"scripted\",\"message\":\"scripted failure\"}}",
                DetectedBodyType = WireMock.Types.BodyType.String,
            },
        };
        response.AddHeader("Content-Type", "application/json");
        if (retryAfter is not null) response.AddHeader("Retry-After", retryAfter);
        return response;
    }

    /// <summary>The connector's calls (excluding metadata, keys and token).</summary>
    public IReadOnlyList<IRequestMessage> ConnectorRequests(string? conversationId = null) =>
        Server.LogEntries.Select(e => e.RequestMessage)
            .Where(r => r.Path.StartsWith("/v3/", StringComparison.Ordinal))
            .Where(r => conversationId is null || Unescape(r).Contains("/v3/conversations/" + conversationId + "/", StringComparison.Ordinal))
            .ToList();

    public int TokenRequests => Server.LogEntries.Count(e => e.RequestMessage.Path.EndsWith("/token", StringComparison.Ordinal));
    public int KeyRequests => Server.LogEntries.Count(e => e.RequestMessage.Path == "/keys");

    /// <summary>Waits (on WireMock's log, no polling) until <paramref name="count"/> requests match.</summary>
    public Task<IReadOnlyList<IRequestMessage>> WaitForAsync(Func<IRequestMessage, bool> match, int count = 1, int seconds = 10) =>
        WaitForAsync(Server, match, count, seconds);

    public static async Task<IReadOnlyList<IRequestMessage>> WaitForAsync(WireMockServer server, Func<IRequestMessage, bool> match, int count = 1, int seconds = 10) =>
        (await WaitForEntriesAsync(server, e => match(e.RequestMessage), count, seconds)).Select(e => e.RequestMessage).ToList();

    /// <summary>Waits until <paramref name="count"/> logged exchanges (request and response) match.</summary>
    public static async Task<IReadOnlyList<ILogEntry>> WaitForEntriesAsync(WireMockServer server, Func<ILogEntry, bool> match, int count = 1, int seconds = 10)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        List<ILogEntry> Matching() => server.LogEntries.Where(match).ToList();
        void Check(object? sender, NotifyCollectionChangedEventArgs? args)
        {
            if (Matching().Count >= count) reached.TrySetResult();
        }

        server.LogEntriesChanged += Check;
        try
        {
            Check(null, null);
            try
            {
                await reached.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
            }
            catch (TimeoutException)
            {
                var seen = string.Join("\n", server.LogEntries.Select(e => $"{e.RequestMessage.Method} {Unescape(e.RequestMessage)} {e.ResponseMessage.StatusCode}"));
                throw new TimeoutException($"Expected {count} matching request(s) within {seconds} s; saw:\n{seen}");
            }

            return Matching();
        }
        finally
        {
            server.LogEntriesChanged -= Check;
        }
    }

    public static string Unescape(IRequestMessage request) => Uri.UnescapeDataString(request.AbsolutePath);

    public static JsonObject BodyOf(IRequestMessage request) => JsonNode.Parse(request.Body!)!.AsObject();

    private void ServeMetadata()
    {
        var metadata = new JsonObject
        {
            ["issuer"] = "https://api.botframework.com",
            ["authorization_endpoint"] = "https://invalid.botframework.com",
            ["jwks_uri"] = Server.Url + "/keys",
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
        };
        Server.Given(Request.Create().WithPath("/v1/.well-known/openidconfiguration").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(metadata.ToJsonString()));
    }

    public void Dispose()
    {
        Server.Stop();
        Server.Dispose();
    }
}
