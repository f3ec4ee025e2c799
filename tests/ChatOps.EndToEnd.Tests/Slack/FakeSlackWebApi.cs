using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ChatOps.EndToEnd.Tests.Slack;

/// <summary>One call the chatops process made to Slack: a Web API method (or <c>response</c> for a response_url) and its JSON body.</summary>
/// <param name="PostedTs">For chat.postMessage: the ts the fake answered with (the message's identity).</param>
public sealed record SlackApiCall(string Method, JsonElement Body, string? Authorization, string? PostedTs)
{
    public string? Get(string property) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public string Text => Get("text") ?? "";
    public string? ThreadTs => Get("thread_ts");

    /// <summary>Every string inside the blocks, decoded: what a reader sees, and the buttons' values.</summary>
    public string BlockText => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("blocks", out var blocks) ? string.Join("\n", Strings(blocks)) : "";

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        _ => [],
    };
}

/// <summary>
/// Slack's Web API and response URLs for the real chatops process, on <see cref="HttpListener"/>
/// (this test project has no WireMock). Answers like Slack and records every call; tests wait on the
/// calls themselves.
/// </summary>
public sealed class FakeSlackWebApi : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<SlackApiCall> _calls = [];
    private readonly Lock _lock = new();
    private readonly Task _loop;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _ts = 1_700_000_000_000_100;

    public FakeSlackWebApi()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }
    public string ApiBaseUrl => $"http://127.0.0.1:{Port}/api/";
    public string ResponseUrl(string name) => $"http://127.0.0.1:{Port}/response/{name}";

    public IReadOnlyList<SlackApiCall> Calls
    {
        get
        {
            lock (_lock) return _calls.ToList();
        }
    }

    public async Task<IReadOnlyList<SlackApiCall>> WaitForAsync(Func<IReadOnlyList<SlackApiCall>, bool> done, int seconds = 30, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            Task changed;
            List<SlackApiCall> snapshot;
            lock (_lock)
            {
                snapshot = _calls.ToList();
                changed = _changed.Task;
            }

            if (done(snapshot)) return snapshot;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                var seen = string.Join("\n", snapshot.Select(c => $"{c.Method} thread={c.ThreadTs} text={c.Text} blocks={c.BlockText.ReplaceLineEndings(" | ")}"));
                throw new TimeoutException($"Slack calls not seen within {seconds} s. Seen:\n{seen}\n{context?.Invoke()}");
            }

            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // report on the next turn
            }
        }
    }

    private async Task ServeAsync()
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

            await AnswerAsync(context);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var path = context.Request.Url!.AbsolutePath;
        var method = path.StartsWith("/api/", StringComparison.Ordinal) ? path["/api/".Length..] : "response";
        JsonElement body = default;
        if (text.TrimStart().StartsWith('{'))
        {
            using var document = JsonDocument.Parse(text);
            body = document.RootElement.Clone();
        }

        var ts = NextTs();
        var call = new SlackApiCall(method, body, context.Request.Headers["Authorization"], method == "chat.postMessage" ? ts : null);
        var answer = method switch
        {
            "chat.postMessage" => JsonSerializer.Serialize(new { ok = true, channel = call.Get("channel"), ts }),
            "chat.update" => JsonSerializer.Serialize(new { ok = true, channel = call.Get("channel"), ts = call.Get("ts") }),
            "chat.postEphemeral" => JsonSerializer.Serialize(new { ok = true, message_ts = ts }),
            "response" => "ok",
            _ => """{"ok":false,"error":"unknown_method"}""",
        };
        var bytes = Encoding.UTF8.GetBytes(answer);
        context.Response.StatusCode = 200;
        context.Response.ContentType = answer.StartsWith('{') ? "application/json; charset=utf-8" : "text/plain";
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();

        TaskCompletionSource changed;
        lock (_lock)
        {
            _calls.Add(call);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private string NextTs()
    {
        var value = Interlocked.Increment(ref _ts);
        return $"{value / 1_000_000}.{value % 1_000_000:D6}";
    }

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
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
