namespace ChatOps.EndToEnd.Tests.Fixtures;

/// <summary>A real <c>chatops-agent</c> process connected to a test server.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private AgentProcess(ChildProcess process) => _process = process;

    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    public static AgentProcess Start(ChatOpsServer server, string serverId, string token, string allowlistJson, int? gatewayPort = null)
    {
        var dir = Path.Combine(server.DataDir, "agent-" + serverId);
        Directory.CreateDirectory(dir);
        var allowlist = Path.Combine(dir, "allowlist.json");
        File.WriteAllText(allowlist, allowlistJson);
        var tokenFile = Path.Combine(dir, "token");
        File.WriteAllText(tokenFile, token);
        var process = ChildProcess.StartDotnet(Binaries.Agent,
            ["--server", $"ws://127.0.0.1:{gatewayPort ?? server.Port}/agents/connect", "--server-id", serverId, "--token-file", tokenFile,
             "--allowlist", allowlist, "--state", Path.Combine(dir, "state.json")],
            new Dictionary<string, string>(), dir);
        return new AgentProcess(process);
    }

    public static AgentProcess StartWithToken(ChatOpsServer server, string serverId, string token) =>
        Start(server, serverId, token, TestAllowlists.Default);

    public Task KillAsync() => _process.KillAsync();

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
