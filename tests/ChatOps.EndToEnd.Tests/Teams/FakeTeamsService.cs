using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ChatOps.EndToEnd.Tests.Teams;

/// <summary>One request the fake received, and what it answered.</summary>
public sealed record TeamsCall(string Method, string Path, string Body, int Status, string Answer)
{
    /// <summary>The activity id the fake gave a successful send.</summary>
    public string? AnsweredId => Status == 200 ? JsonNode.Parse(Answer)?["id"]?.GetValue<string>() : null;

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    /// <summary>The text of a message, or the JSON of the card it carries.</summary>
    public string Shown => Json["text"]?.GetValue<string>() ?? Json["attachments"]?.ToJsonString() ?? "";
}

/// <summary>
/// The Microsoft side of a Teams conversation, on a loopback HttpListener: OpenID metadata, the
/// signing keys (with endorsements), the token endpoint and the Bot Connector API. It signs the
/// tokens of the activities a test sends, records every call, and can answer the next connector
/// calls with scripted failures (429 with Retry-After). It also creates conversations
/// (<c>POST /v3/conversations</c>: a new thread in a channel), as proactive alert threads need.
/// </summary>
public sealed class FakeTeamsService : IAsyncDisposable
{
    public const string AppId = "0c2f3c1e-5d6a-4b7e-9f10-1a2b3c4d5e6f";
    public const string AppPassword = "e2e-teams-app-password";
    public const string Tenant = "9b1d6a02-3c4e-4f5a-8b6c-7d8e9f0a1b2c";
    private const string Kid = "e2e-key";

    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly List<TeamsCall> _calls = [];
    private readonly List<(Func<TeamsCall, bool> Match, int Count, TaskCompletionSource Done)> _waiters = [];
    private readonly ConcurrentQueue<(int Status, string? RetryAfter)> _script = new();
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Task _loop;
    private int _activitySeq;
    private int _threadSeq;

    public FakeTeamsService()
    {
        Port = FreePort();
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}/";

    /// <summary>The chatops settings that point the Teams adapter at this fake.</summary>
    public Dictionary<string, string> Settings(string bootstrapAdminAad) => new()
    {
        ["ChatOps__Teams__AppId"] = AppId,
        ["ChatOps__Teams__AppPassword"] = AppPassword,
        ["ChatOps__Teams__OpenIdMetadataUrl"] = BaseUrl + "v1/.well-known/openidconfiguration",
        ["ChatOps__Teams__TokenEndpoint"] = BaseUrl + "botframework.com/oauth2/v2.0/token",
        ["ChatOps__Teams__RetryMinDelay"] = "00:00:00.200",
        ["ChatOps__Teams__RetryMaxDelay"] = "00:00:02",
        ["ChatOps__Bootstrap__Admins"] = "teams:" + bootstrapAdminAad,
    };

    public IReadOnlyList<TeamsCall> Calls
    {
        get
        {
            lock (_calls) return _calls.ToList();
        }
    }

    /// <summary>The connector calls of one conversation, in arrival order.</summary>
    public IReadOnlyList<TeamsCall> CallsIn(string conversationId) =>
        Calls.Where(c => c.Path.StartsWith($"/v3/conversations/{conversationId}/", StringComparison.Ordinal)).ToList();

    /// <summary>The next connector calls get these answers, in order; then 200s again.</summary>
    public void Script(params (int Status, string? RetryAfter)[] answers)
    {
        foreach (var answer in answers) _script.Enqueue(answer);
    }

    /// <summary>Sends an activity to chatops as the Bot Framework would: with a freshly signed token.</summary>
    public async Task<HttpResponseMessage> SendAsync(Uri chatops, JsonObject activity)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(chatops, "/api/messages"))
        {
            Content = new StringContent(activity.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token());
        return await _client.SendAsync(request);
    }

    public JsonObject Message(string conversationId, string activityId, string text, string aad) => new()
    {
        ["type"] = "message",
        ["id"] = activityId,
        ["serviceUrl"] = BaseUrl,
        ["channelId"] = "msteams",
        ["from"] = new JsonObject { ["id"] = "29:" + aad, ["name"] = "E2E Person", ["aadObjectId"] = aad },
        ["conversation"] = new JsonObject { ["id"] = conversationId, ["conversationType"] = "channel", ["tenantId"] = Tenant, ["isGroup"] = true },
        ["recipient"] = new JsonObject { ["id"] = "28:" + AppId, ["name"] = "ChatOps" },
        ["text"] = $"<at>ChatOps</at> {text}",
        ["entities"] = new JsonArray(new JsonObject { ["type"] = "mention", ["text"] = "<at>ChatOps</at>", ["mentioned"] = new JsonObject { ["id"] = "28:" + AppId, ["name"] = "ChatOps" } }),
        ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = Tenant }, ["channel"] = new JsonObject { ["id"] = "19:ops@thread.tacv2" } },
    };

    /// <summary>What Teams sends when someone clicks an Action.Submit button of one of our cards.</summary>
    public JsonObject Click(string conversationId, string activityId, string cardActivityId, JsonObject data, string aad)
    {
        var click = Message(conversationId, activityId, "", aad);
        click.Remove("text");
        click.Remove("entities");
        click["replyToId"] = cardActivityId;
        click["value"] = data;
        return click;
    }

    /// <summary>Waits (on the fake's own record, no polling) until <paramref name="count"/> calls match.</summary>
    public async Task<IReadOnlyList<TeamsCall>> WaitForAsync(Func<TeamsCall, bool> match, int count = 1, int seconds = 30)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_calls)
        {
            if (_calls.Count(match) >= count) return _calls.Where(match).ToList();
            _waiters.Add((match, count, done));
        }

        try
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Expected {count} matching Teams call(s) within {seconds} s; saw:\n" +
                string.Join("\n", Calls.Select(c => $"{c.Method} {c.Path} -> {c.Status} {c.Shown[..Math.Min(c.Shown.Length, 200)]}")));
        }

        lock (_calls) return _calls.Where(match).ToList();
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var (status, retryAfter, answer) = Answer(request.HttpMethod, path, body);
        // Recorded before answering, so the record's order is the order the calls were made in.
        Record(new TeamsCall(request.HttpMethod, path, body, status, answer));

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (retryAfter is not null) response.AddHeader("Retry-After", retryAfter);
        var bytes = Encoding.UTF8.GetBytes(answer);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    private static string ChannelOf(string body) =>
        JsonNode.Parse(body)?["channelData"]?["channel"]?["id"]?.GetValue<string>() ?? "19:unknown@thread.tacv2";

    private (int Status, string? RetryAfter, string Body) Answer(string method, string path, string body)
    {
        switch (method, path)
        {
            case ("GET", "/v1/.well-known/openidconfiguration"):
                return (200, null, new JsonObject
                {
                    ["issuer"] = "https://api.botframework.com",
                    ["authorization_endpoint"] = "https://invalid.botframework.com",
                    ["jwks_uri"] = BaseUrl + "keys",
                    ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
                }.ToJsonString());
            case ("GET", "/keys"):
                var p = _key.ExportParameters(false);
                return (200, null, new JsonObject
                {
                    ["keys"] = new JsonArray(new JsonObject
                    {
                        ["kty"] = "RSA", ["use"] = "sig", ["kid"] = Kid, ["n"] = Base64Url(p.Modulus!), ["e"] = Base64Url(p.Exponent!),
                        ["endorsements"] = new JsonArray("msteams"),
                    }),
                }.ToJsonString());
            case ("POST", "/botframework.com/oauth2/v2.0/token"):
                return (200, null, """{"token_type":"Bearer","expires_in":3600,"access_token":"e2e-bot-token"}""");
            case ("POST", "/v3/conversations"):
                if (_script.TryDequeue(out var throttled))
                    return (throttled.Status, throttled.RetryAfter, """{"error":{"code":"Throttled","message":"scripted"}}""");
                // The new thread is the channel's conversation id with the root message's id appended.
                var root = (1_800_000_000_000 + Interlocked.Increment(ref _threadSeq)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return (200, null, new JsonObject { ["id"] = $"{ChannelOf(body)};messageid={root}", ["activityId"] = root }.ToJsonString());
            case ("POST" or "PUT", _) when path.StartsWith("/v3/conversations/", StringComparison.Ordinal):
                if (_script.TryDequeue(out var scripted))
                    return (scripted.Status, scripted.RetryAfter, """{"error":{"code":"Throttled","message":"scripted"}}""");
                return (200, null, new JsonObject { ["id"] = method == "PUT" ? path.Split('/')[^1] : $"e2e-activity-{Interlocked.Increment(ref _activitySeq)}" }.ToJsonString());
            default:
                return (404, null, "{}");
        }
    }

    private void Record(TeamsCall call)
    {
        lock (_calls)
        {
            _calls.Add(call);
            foreach (var waiter in _waiters.Where(w => _calls.Count(w.Match) >= w.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }

    private string Token()
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = Kid };
        var payload = new JsonObject
        {
            ["iss"] = "https://api.botframework.com",
            ["aud"] = AppId,
            ["serviceurl"] = BaseUrl,
            ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
        };
        var input = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return input + "." + Base64Url(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _client.Dispose();
        _key.Dispose();
    }
}
