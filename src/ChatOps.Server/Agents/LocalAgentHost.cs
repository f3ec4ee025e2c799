using ChatOps.Agent;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChatOps.Server.Agents;

/// <summary>
/// The zero-setup agent: enrols server <c>local</c> with a fresh token at every start (revoking the
/// previous one) and runs the real agent code in this process, connected over loopback like any
/// other agent, so <c>run uptime on local</c> works at once. Off with <c>ChatOps:LocalAgent:Enabled=false</c>.
/// </summary>
public sealed partial class LocalAgentHost(
    ChatOpsSettings settings,
    IServerStore servers,
    IAgentCredentialStore credentials,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    TimeProvider time,
    ILogger<LocalAgentHost> logger) : BackgroundService
{
    public const string ServerId = "local";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try { await started.Task; }
            catch (TaskCanceledException) { return; }
        }

        var url = AgentUrl();
        if (url is null)
        {
            LogNoAddress();
            return;
        }

        var now = time.GetUtcNow();
        var existing = await servers.GetAsync(ServerId, stoppingToken);
        await servers.UpsertAsync(new Core.Domain.Server(ServerId, "this machine", existing?.Tags ?? ["role:local"], existing?.CreatedAt ?? now), stoppingToken);
        var token = Secrets.NewToken("agt_");
        await credentials.EnrollAsync(ServerId, Secrets.Hash(token), now, stoppingToken);

        var options = new AgentOptions
        {
            ServerUrl = url,
            Token = token,
            ServerId = ServerId,
            AllowlistPath = settings.LocalAgentAllowlist,
            StatePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(settings.SqlitePath)) ?? ".", "local-agent-state.json"),
        };
        LogStarting(url, settings.LocalAgentAllowlist);
        // Stop the agent as soon as the host starts stopping, not when this service's turn comes:
        // its open WebSocket would otherwise hold Kestrel's shutdown until the timeout.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        await new AgentRunner(options, loggerFactory, time).RunAsync(stop.Token);
    }

    /// <summary>The loopback WebSocket address of this server's own listener.</summary>
    private string? AgentUrl()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var http = addresses.Select(a => new Uri(a.Replace("://+", "://localhost").Replace("://*", "://localhost"))).FirstOrDefault();
        if (http is null) return null;
        var host = http.Host is "0.0.0.0" or "[::]" or "::" or "localhost" ? "127.0.0.1" : http.Host;
        var scheme = http.Scheme == "https" ? "wss" : "ws";
        return $"{scheme}://{(host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host)}:{http.Port}/agents/connect";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting the local agent (server id 'local') against {Url} with allowlist {Allowlist}")]
    private partial void LogStarting(string url, string allowlist);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The local agent was not started: the server has no listening address")]
    private partial void LogNoAddress();
}
