using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ChatOps.EndToEnd.Tests.Fixtures;

public sealed record ChatAnswer(string Text, string ThreadId, string? CommandId);

public sealed record ThreadMessage(long Seq, string Author, string Text, DateTimeOffset At);

public sealed record ThreadView(string ThreadId, string Status, string? CommandId, IReadOnlyList<ThreadMessage> Messages)
{
    public string AllText => string.Join("\n", Messages.Select(m => m.Text));
}

/// <summary>A real <c>chatops</c> process on a free loopback port, with its own data folder.</summary>
public sealed class ChatOpsServer : IAsyncDisposable
{
    public static readonly string[] Terminal = ["succeeded", "failed", "timed_out", "cancelled", "rejected", "answered", "not_accepted"];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly List<AgentProcess> _agents = [];
    private ChildProcess _process;

    private ChatOpsServer(ChildProcess process, string dataDir, int port, string apiKey, bool ownsDataDir, bool localAgent, IReadOnlyDictionary<string, string>? settings)
    {
        LocalAgent = localAgent;
        Settings = settings;
        _process = process;
        DataDir = dataDir;
        Port = port;
        ApiKey = apiKey;
        OwnsDataDir = ownsDataDir;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    public string DataDir { get; }
    public int Port { get; }
    public string ApiKey { get; }
    public HttpClient Http { get; }
    private bool OwnsDataDir { get; }
    public string Output => _process.Output;
    private bool LocalAgent { get; }
    private IReadOnlyDictionary<string, string>? Settings { get; }

    /// <param name="dataDir">Reuse a data folder (restart tests); a new temporary one when null.</param>
    /// <param name="localAgent">Enrol and run the in-process local agent.</param>
    public static async Task<ChatOpsServer> StartAsync(string? dataDir = null, bool localAgent = false, IReadOnlyDictionary<string, string>? settings = null)
    {
        var owns = dataDir is null;
        dataDir ??= Directory.CreateTempSubdirectory("chatops-e2e-").FullName;
        var port = FreePort();
        const string apiKey = "e2e-admin-key-0123456789";
        var server = new ChatOpsServer(Launch(dataDir, port, apiKey, localAgent, settings), dataDir, port, apiKey, owns, localAgent, settings);
        await server.WaitReadyAsync();
        return server;
    }

    private static ChildProcess Launch(string dataDir, int port, string apiKey, bool localAgent, IReadOnlyDictionary<string, string>? settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["ChatOps__Sqlite__Path"] = Path.Combine(dataDir, "chatops.db"),
            ["ChatOps__Bootstrap__ApiKey"] = apiKey,
            ["ChatOps__LocalAgent__Enabled"] = localAgent ? "true" : "false",
            ["ChatOps__Router__SweepInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) environment[key] = value;
        return ChildProcess.StartDotnet(Binaries.Server, ["--urls", $"http://127.0.0.1:{port}"], environment, dataDir);
    }

    /// <summary>SIGKILLs the server and starts it again on the same data folder and port.</summary>
    public async Task RestartAsync()
    {
        await _process.KillAsync();
        await _process.DisposeAsync();
        _process = Launch(DataDir, Port, ApiKey, LocalAgent, Settings);
        await WaitReadyAsync();
    }

    public async Task KillAsync() => await _process.KillAsync();

    /// <summary>SIGTERM and wait for the exit; returns the exit code (throws TimeoutException past <paramref name="timeout"/>).</summary>
    public async Task<int> StopGracefullyAsync(TimeSpan timeout)
    {
        await _process.TerminateAsync();
        return await _process.WaitForExitAsync(timeout);
    }

    private async Task WaitReadyAsync()
    {
        await Eventually.MatchAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException("chatops exited during start:\n" + _process.Output);
            using var response = await Http.GetAsync("/readyz");
            return response.StatusCode;
        }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), status => $"readyz {status}\n{_process.Output}");
    }

    public async Task<ChatAnswer> SayAsync(string text, string? requestId = null)
    {
        using var response = await Http.PostAsJsonAsync("/api/chat/messages", new { text, requestId });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /api/chat/messages answered {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<ChatAnswer>(body, Json)!;
    }

    public async Task<ThreadView> ThreadAsync(string threadId) =>
        (await Http.GetFromJsonAsync<ThreadView>($"/api/chat/threads/{threadId}", Json))!;

    /// <summary>Waits until the thread reaches a final status (or <paramref name="until"/> holds).</summary>
    public Task<ThreadView> WaitForThreadAsync(string threadId, Func<ThreadView, bool>? until = null, int seconds = 30) =>
        Eventually.MatchAsync(() => ThreadAsync(threadId), until ?? (t => Terminal.Contains(t.Status)), TimeSpan.FromSeconds(seconds),
            t => t is null ? "nothing" : $"status {t.Status}: {t.AllText}\n--- server log ---\n{Output}");

    /// <summary>Enrols <paramref name="serverId"/>, starts a real chatops-agent for it and waits until it is online.</summary>
    /// <param name="gatewayPort">The port of the process running agent-gateway, when that is not this one (scale mode).</param>
    public async Task<AgentProcess> StartAgentAsync(string serverId, string? allowlistJson = null, int? gatewayPort = null)
    {
        var token = await EnrollAsync(serverId);
        var agent = AgentProcess.Start(this, serverId, token, allowlistJson ?? TestAllowlists.Default, gatewayPort);
        _agents.Add(agent);
        await WaitAgentOnlineAsync(serverId, agent);
        return agent;
    }

    public async Task<string> EnrollAsync(string serverId, params string[] tags)
    {
        using var response = await Http.PostAsJsonAsync("/api/servers", new { id = serverId, tags });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"enrol {serverId}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    public async Task WaitAgentOnlineAsync(string serverId, AgentProcess? agent = null, bool online = true)
    {
        await Eventually.MatchAsync(async () =>
        {
            var servers = await Http.GetFromJsonAsync<JsonElement>("/api/servers");
            return servers.EnumerateArray().Any(s => s.GetProperty("id").GetString() == serverId && s.GetProperty("online").GetBoolean());
        }, isOnline => isOnline == online, TimeSpan.FromSeconds(30), _ => $"{serverId} online != {online}\n--- agent ---\n{agent?.Output}\n--- server ---\n{Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.DisposeAsync();
        await _process.DisposeAsync();
        Http.Dispose();
        if (OwnsDataDir)
        {
            try { Directory.Delete(DataDir, recursive: true); }
            catch (IOException) { /* a straggling file handle; the temp folder is cleaned by the OS */ }
        }
    }
}
