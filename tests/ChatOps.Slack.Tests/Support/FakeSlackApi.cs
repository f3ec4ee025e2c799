using System.Text;
using System.Text.Json;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace ChatOps.Slack.Tests.Support;

/// <summary>One request Slack's fake received: the Web API method (or <c>response</c>) and its JSON body.</summary>
public sealed record SlackCall(string Method, JsonElement Body, string? Authorization, int Status, bool Faulted = false)
{
    /// <summary>When it arrived, on <see cref="FakeSlackApi.Clock"/> (default without one).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The <c>ts</c> a delivered chat.postMessage was answered with.</summary>
    public string? AnsweredTs { get; init; }

    /// <summary>The Retry-After a faulted answer carried.</summary>
    public string? RetryAfter { get; init; }

    public string? Get(string property) => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    public string Text => Get("text") ?? "";
    public string? ThreadTs => Get("thread_ts");
    public string? Channel => Get("channel");
    public string BlocksJson => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("blocks", out var blocks) ? blocks.GetRawText() : "";

    /// <summary>Every string inside the blocks, decoded, one per line: what a reader of the message sees (and button values).</summary>
    public string BlockText => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("blocks", out var blocks) ? string.Join("\n", Strings(blocks)) : "";

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        _ => [],
    };
    /// <summary>Slack accepted it (no injected fault).</summary>
    public bool Delivered => Status == 200 && !Faulted;
}

/// <summary>What a fault injector answers instead of Slack's success.</summary>
public sealed record FakeReply(int Status, string Body, string? RetryAfter = null);

/// <summary>
/// Slack's Web API and response URLs on WireMock.Net. Answers like Slack (ok, a fresh ts per post),
/// records every call, and lets a test inject faults (429, 5xx, ok:false) or hold calls at a gate.
/// </summary>
public sealed class FakeSlackApi : IDisposable
{
    private readonly WireMockServer _server;
    private long _ts = 1_700_000_000_000_100;

    public FakeSlackApi()
    {
        _server = WireMockServer.Start();
        _server.Given(Request.Create().WithPath(new WildcardMatcher("/api/*")).UsingPost()).RespondWith(Response.Create().WithCallback(HandleAsync));
        _server.Given(Request.Create().WithPath(new WildcardMatcher("/response/*")).UsingPost()).RespondWith(Response.Create().WithCallback(HandleAsync));
    }

    public string ApiBaseUrl => _server.Url + "/api/";
    public string ResponseUrl(string name) => $"{_server.Url}/response/{name}";

    /// <summary>Every call, delivered or not, in arrival order.</summary>
    public Observed<SlackCall> Calls { get; } = new();

    /// <summary>Returns a reply to fail a call with, or null to answer normally.</summary>
    public Func<SlackCall, FakeReply?>? Fault { get; set; }

    /// <summary>While set, calls wait for it before answering (a slow Slack).</summary>
    public Task? Gate { get; set; }

    /// <summary>Returns a task to hold one call on (after it is recorded), or null to answer at once.</summary>
    public Func<SlackCall, Task?>? Hold { get; set; }

    public string? SocketUrl { get; set; }

    /// <summary>The clock calls are stamped with (<see cref="SlackCall.At"/>); null leaves them unstamped.</summary>
    public TimeProvider? Clock { get; set; }

    public IReadOnlyList<SlackCall> Delivered(string method) => Calls.Snapshot.Where(c => c.Method == method && c.Delivered).ToList();

    /// <summary>Delivered thread roots: posts that are not replies in a thread.</summary>
    public IReadOnlyList<SlackCall> Roots => Calls.Snapshot.Where(c => c.Method == "chat.postMessage" && c.Delivered && c.BlockText.Contains("request #", StringComparison.Ordinal)).ToList();

    /// <summary>Delivered roots of requests made by <paramref name="slackUserId"/>.</summary>
    public IReadOnlyList<SlackCall> RootsOf(string slackUserId) => Roots.Where(c => c.BlockText.Contains($"<@{slackUserId}>", StringComparison.Ordinal)).ToList();

    public Task<IReadOnlyList<SlackCall>> WaitForAsync(Func<IReadOnlyList<SlackCall>, bool> done, int seconds = 10) =>
        Calls.WaitUntilAsync(done, seconds, calls => string.Join("\n", calls.Select(c => $"{c.Method} {c.Status} {c.Body.GetRawText()}")));

    public async Task<SlackCall> WaitForDeliveredAsync(string method, Func<SlackCall, bool> match, int seconds = 10)
    {
        var calls = await WaitForAsync(all => all.Any(c => c.Method == method && c.Delivered && match(c)), seconds);
        return calls.First(c => c.Method == method && c.Delivered && match(c));
    }

    private async Task<IResponseMessage> HandleAsync(IRequestMessage request)
    {
        if (Gate is { } gate) await gate;
        var path = request.Path;
        var method = path.StartsWith("/api/", StringComparison.Ordinal) ? path["/api/".Length..] : "response";
        var body = ParseBody(request.Body);
        request.Headers!.TryGetValue("Authorization", out var authorization);
        var probe = new SlackCall(method, body, authorization?.FirstOrDefault(), 200) { At = Clock?.GetUtcNow() ?? default };
        if (Fault?.Invoke(probe) is { } fault)
        {
            Calls.Add(probe with { Status = fault.Status, Faulted = true, RetryAfter = fault.RetryAfter });
            return Reply(fault.Status, fault.Body, fault.RetryAfter);
        }

        string ts;
        if (Hold?.Invoke(probe) is { } hold)
        {
            Calls.Add(probe);
            await hold;
            ts = NextTs();
        }
        else
        {
            ts = NextTs();
            Calls.Add(method == "chat.postMessage" ? probe with { AnsweredTs = ts } : probe);
        }

        return method switch
        {
            "chat.postMessage" => Reply(200, JsonSerializer.Serialize(new { ok = true, channel = probe.Channel, ts, message = new { ts } })),
            "chat.update" => Reply(200, JsonSerializer.Serialize(new { ok = true, channel = probe.Channel, ts = probe.Get("ts") })),
            "chat.postEphemeral" => Reply(200, JsonSerializer.Serialize(new { ok = true, message_ts = ts })),
            "apps.connections.open" => Reply(200, JsonSerializer.Serialize(new { ok = true, url = SocketUrl })),
            "response" => Reply(200, "ok"),
            _ => Reply(200, """{"ok":false,"error":"unknown_method"}"""),
        };
    }

    private string NextTs()
    {
        var value = Interlocked.Increment(ref _ts);
        return $"{value / 1_000_000}.{value % 1_000_000:D6}";
    }

    private static JsonElement ParseBody(string? body)
    {
        if (string.IsNullOrEmpty(body) || !body.TrimStart().StartsWith('{')) return default;
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    private static ResponseMessage Reply(int status, string body, string? retryAfter = null)
    {
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
        };
        response.AddHeader("Content-Type", body.StartsWith('{') ? "application/json; charset=utf-8" : "text/plain");
        if (retryAfter is not null) response.AddHeader("Retry-After", retryAfter);
        return response;
    }

    public void Dispose() => _server.Stop();
}
