using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ChatOps.Agent.Tests.Support;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Tls;

/// <summary>
/// Agents over wss:// to a real chatops serving HTTPS with client certificates required and pinned per
/// server id: the agent with its pinned certificate comes online; one with another certificate, or none,
/// is refused before the WebSocket upgrade, with a log line naming why, and never goes online.
/// </summary>
public sealed class TlsAgentPinningTests : IAsyncLifetime
{
    private const string ApiKey = "e2e-tls-admin-key-0123456789";
    private readonly string _dir = Directory.CreateTempSubdirectory("chatops-e2e-tls-").FullName;
    private readonly List<ChildProcess> _agents = [];
    private ChildProcess _server = null!;
    private HttpClient _http = null!;
    private int _httpsPort;
    private string _caFile = "";
    private (string Certificate, string Key) _pinned;
    private (string Certificate, string Key) _other;

    public async Task InitializeAsync()
    {
        var authority = TestCertificates.Authority("ChatOps e2e CA");
        _caFile = TestCertificates.WritePem(authority, _dir, "ca").Certificate;
        var serverCertificate = TestCertificates.WritePem(TestCertificates.Server(authority), _dir, "server");
        var pinnedCertificate = TestCertificates.Client("agent tls-ok");
        _pinned = TestCertificates.WritePem(pinnedCertificate, _dir, "pinned");
        _other = TestCertificates.WritePem(TestCertificates.Client("someone else"), _dir, "other");
        var pin = TestCertificates.Sha256(pinnedCertificate);

        var httpPort = FreePort();
        _httpsPort = FreePort();
        _server = ChildProcess.StartDotnet(Binaries.Server, [], new Dictionary<string, string>
        {
            ["ChatOps__Sqlite__Path"] = Path.Combine(_dir, "chatops.db"),
            ["ChatOps__Bootstrap__ApiKey"] = ApiKey,
            ["ChatOps__LocalAgent__Enabled"] = "false",
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{httpPort}",
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{_httpsPort}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = serverCertificate.Certificate,
            ["Kestrel__Endpoints__Https__Certificate__KeyPath"] = serverCertificate.Key,
            ["ChatOps__Gateway__ClientCertificates__Required"] = "true",
            ["ChatOps__Gateway__ClientCertificates__Pins__tls-ok"] = pin,
            ["ChatOps__Gateway__ClientCertificates__Pins__tls-wrong"] = pin,
            ["ChatOps__Gateway__ClientCertificates__Pins__tls-none"] = pin,
        }, _dir);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        await Eventually.MatchAsync(async () =>
        {
            if (_server.HasExited) throw new InvalidOperationException("chatops exited during start:\n" + _server.Output);
            using var response = await _http.GetAsync("/readyz");
            return response.StatusCode;
        }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), status => $"readyz {status}\n{_server.Output}");
    }

    [Fact]
    public async Task Only_the_agent_presenting_the_certificate_pinned_for_its_server_gets_in()
    {
        var ok = await StartAgentAsync("tls-ok", _pinned);
        var wrong = await StartAgentAsync("tls-wrong", _other);
        var none = await StartAgentAsync("tls-none", null);

        await Eventually.MatchAsync(() => OnlineAsync("tls-ok"), online => online, TimeSpan.FromSeconds(30),
            _ => $"tls-ok not online\n--- agent ---\n{ok.Output}\n--- server ---\n{_server.Output}");
        await Eventually.MatchAsync(() => Task.FromResult(_server.Output), log =>
                log.Contains("is not the one pinned for server 'tls-wrong'", StringComparison.Ordinal)
                && log.Contains("server 'tls-none' has a pinned client certificate, and none was presented", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), log => $"no refusal lines\n{log}\n--- wrong ---\n{wrong.Output}\n--- none ---\n{none.Output}");

        Assert.False(await OnlineAsync("tls-wrong"));
        Assert.False(await OnlineAsync("tls-none"));
        await Eventually.MatchAsync(() => Task.FromResult(wrong.Output), log => log.Contains("HTTP 403", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), log => $"the refused agent did not report the refusal:\n{log}");
    }

    private async Task<ChildProcess> StartAgentAsync(string serverId, (string Certificate, string Key)? clientCertificate)
    {
        using var response = await _http.PostAsJsonAsync("/api/servers", new { id = serverId, tags = Array.Empty<string>() });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"enrol {serverId}: {(int)response.StatusCode} {body}");
        var token = JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;

        var dir = Directory.CreateDirectory(Path.Combine(_dir, "agent-" + serverId)).FullName;
        var allowlist = Path.Combine(dir, "allowlist.json");
        await File.WriteAllTextAsync(allowlist, TestAllowlists.Default);
        var tokenFile = Path.Combine(dir, "token");
        await File.WriteAllTextAsync(tokenFile, token);
        List<string> args = ["--server", $"wss://127.0.0.1:{_httpsPort}/agents/connect", "--server-id", serverId, "--token-file", tokenFile,
            "--allowlist", allowlist, "--state", Path.Combine(dir, "state.json"), "--ca-file", _caFile];
        if (clientCertificate is { } certificate) args.AddRange(["--client-cert", certificate.Certificate, "--client-key", certificate.Key]);
        var agent = ChildProcess.StartDotnet(Binaries.Agent, args, new Dictionary<string, string>(), dir);
        _agents.Add(agent);
        return agent;
    }

    private async Task<bool> OnlineAsync(string serverId)
    {
        var servers = await _http.GetFromJsonAsync<JsonElement>("/api/servers");
        return servers.EnumerateArray().Any(s => s.GetProperty("id").GetString() == serverId && s.GetProperty("online").GetBoolean());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents) await agent.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
        _http?.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* a straggling file handle; the temp folder is cleaned by the OS */ }
    }
}
