using System.Collections.Concurrent;
using System.Text.Json;
using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Agents;

/// <summary>
/// The agent gateway node: owns the live agent sessions, keeps <c>agent:connections:{server}</c>
/// current, forwards dispatches that routers send on its pub/sub channel, and turns agent frames
/// into command events. It trusts an agent only for the server its token is bound to, and only
/// for commands it dispatched to that very connection.
/// </summary>
public sealed partial class AgentGateway(
    IAgentCredentialStore credentials,
    IAgentRegistry registry,
    IPubSub pubSub,
    IEventBus bus,
    CommandEventPublisher events,
    AuditLog audit,
    IOptions<AgentGatewayOptions> options,
    TimeProvider time,
    ILogger<AgentGateway> logger) : IHostedService
{
    private readonly AgentGatewayOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, LiveAgent> _agents = new();
    private readonly ConcurrentDictionary<string, long> _highestFence = new();
    private IAsyncDisposable? _subscription;

    public string NodeId => _options.NodeId;

    /// <summary>Silence from an agent longer than this means it is gone (three missed heartbeats).</summary>
    public TimeSpan IdleTimeout => _options.RegistryTtl;

    /// <summary>Connected server ids on this node.</summary>
    public IReadOnlyCollection<string> ConnectedServers => _agents.Keys.ToList();

    public async Task StartAsync(CancellationToken cancellationToken) =>
        _subscription = await pubSub.SubscribeAsync(GatewayChannels.ForNode(NodeId), OnGatewayMessageAsync, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_subscription is not null) await _subscription.DisposeAsync();
    }

    /// <summary>The credential for a presented bearer token, or null (the upgrade is then refused with 401).</summary>
    public async Task<AgentCredential?> AuthenticateAsync(string? bearerToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(bearerToken) || bearerToken.Length > 512) return null;
        return await credentials.FindByTokenHashAsync(Secrets.Hash(bearerToken), cancellationToken);
    }

    /// <summary>
    /// Handles the first frame of a network session whose agent presented the token <paramref name="keys"/> were
    /// derived from. From then on dispatches and cancels go out signed, and <see cref="OnFrameAsync"/> takes only
    /// frames signed with the agent's key for this connection. False when the session must be closed (it has been told why).
    /// </summary>
    public Task<bool> OnHelloAsync(IAgentSession session, HelloFrame hello, AgentFrameKeys keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return HelloAsync(session, hello, keys, cancellationToken);
    }

    /// <summary>
    /// Handles the first frame of an in-process session whose frames never cross a network (tests, benchmarks):
    /// its frames are taken and sent unsigned. The WebSocket endpoint never uses this overload.
    /// </summary>
    public Task<bool> OnHelloAsync(IAgentSession session, HelloFrame hello, CancellationToken cancellationToken) =>
        HelloAsync(session, hello, null, cancellationToken);

    private async Task<bool> HelloAsync(IAgentSession session, HelloFrame hello, AgentFrameKeys? keys, CancellationToken cancellationToken)
    {
        if (!string.Equals(hello.ServerId, session.ServerId, StringComparison.Ordinal))
        {
            LogImpersonation(session.ServerId, hello.ServerId);
            await audit.RecordAsync($"agent:{session.ServerId}", "agent.impersonation", hello.ServerId, "denied",
                $"token bound to {session.ServerId} claimed {TextHygiene.Escape(hello.ServerId)}", cancellationToken);
            await RefuseAsync(session, $"this token is bound to server '{session.ServerId}', not '{hello.ServerId}'", cancellationToken);
            return false;
        }

        if (hello.ProtocolVersion != AgentProtocol.Version)
        {
            await RefuseAsync(session, $"protocol version {hello.ProtocolVersion} is not supported (this server speaks {AgentProtocol.Version})", cancellationToken);
            return false;
        }

        var live = new LiveAgent(session, keys is null ? null : new AgentFrameSigner(keys.ToAgent, session.ServerId, session.ConnectionId, time),
            keys is null ? null : new AgentFrameVerifier(keys.ToGateway, session.ServerId, session.ConnectionId, new ReplayWindow(), time));
        if (_agents.TryGetValue(session.ServerId, out var previous))
            await DropAsync(previous, "replaced by a newer connection of the same agent", cancellationToken);
        _agents[session.ServerId] = live;

        var now = time.GetUtcNow();
        await registry.RegisterAsync(new AgentConnection(session.ServerId, NodeId, session.ConnectionId, now, hello.AgentVersion, hello.Actions), _options.RegistryTtl, cancellationToken);
        await session.SendAsync(new WelcomeFrame(session.ServerId, NodeId, AgentProtocol.Version,
            (int)_options.HeartbeatInterval.TotalSeconds, (int)_options.MetricsInterval.TotalSeconds) { ConnectionId = session.ConnectionId }, cancellationToken);
        LogConnected(session.ServerId, session.ConnectionId, hello.AgentVersion);
        await PublishEventAsync(EventTypes.AgentConnected, session.ServerId, new AgentConnected(session.ServerId, NodeId, session.ConnectionId, hello.AgentVersion, now), cancellationToken);
        return true;
    }

    /// <summary>
    /// Handles every frame after hello. On a session opened with keys only a frame signed for it is taken
    /// (anything else is refused, audited and the session closed). False when the agent broke the protocol and must be closed.
    /// </summary>
    public async Task<bool> OnFrameAsync(IAgentSession session, AgentFrame frame, CancellationToken cancellationToken)
    {
        if (!_agents.TryGetValue(session.ServerId, out var live) || live.Session != session)
            return false; // a replaced connection: ignore whatever it still says
        if (live.Verifier is not null)
        {
            var verification = live.Verifier.Verify(frame);
            if (!verification.Verified)
            {
                await OnUnverifiedAsync(session, frame, verification, cancellationToken);
                return false;
            }

            frame = verification.Frame!;
        }

        using var span = StartFrameSpan(live, frame);

        switch (frame)
        {
            case HeartbeatFrame:
                if (!await registry.RefreshAsync(session.ServerId, session.ConnectionId, _options.RegistryTtl, cancellationToken))
                    await registry.RegisterAsync(new AgentConnection(session.ServerId, NodeId, session.ConnectionId, time.GetUtcNow(), null, []), _options.RegistryTtl, cancellationToken);
                return true;
            case MetricsFrame metrics:
                await OnMetricsAsync(session, metrics, cancellationToken);
                return true;
            case AcceptedFrame accepted when live.InFlight.TryGetValue(accepted.CommandId, out var command):
                await events.PublishAsync(EventTypes.CommandStarted, session.ServerId, new CommandStarted(accepted.CommandId, session.ServerId, command.Dispatch.ReplyTo), cancellationToken);
                return true;
            case RejectedFrame rejected when live.InFlight.TryRemove(rejected.CommandId, out var command):
                await OnRejectedAsync(session, rejected, command, cancellationToken);
                return true;
            case OutputFrame output when live.InFlight.TryGetValue(output.CommandId, out var command):
                await OnOutputAsync(session, output, command, cancellationToken);
                return true;
            case ResultFrame result when live.InFlight.TryRemove(result.CommandId, out var command):
                await events.PublishAsync(EventTypes.CommandCompleted, session.ServerId,
                    new CommandCompleted(result.CommandId, session.ServerId, result.Status, result.ExitCode, result.DurationMs, result.Truncated || command.Truncated, command.Dispatch.ReplyTo), cancellationToken);
                return true;
            case AcceptedFrame or RejectedFrame or OutputFrame or ResultFrame:
                await OnUnassignedAsync(session, frame, cancellationToken);
                return true;
            default:
                LogProtocolViolation(session.ServerId, frame.GetType().Name);
                await RefuseAsync(session, $"unexpected frame {frame.GetType().Name} from an agent", cancellationToken);
                return false;
        }
    }

    /// <summary>The connection is gone: unregister, and tell every waiting command.</summary>
    public async Task OnDisconnectedAsync(IAgentSession session, string reason, CancellationToken cancellationToken)
    {
        if (_agents.TryGetValue(session.ServerId, out var live) && live.Session == session)
        {
            _agents.TryRemove(new KeyValuePair<string, LiveAgent>(session.ServerId, live));
            await DropAsync(live, reason, cancellationToken);
        }
    }

    private async Task DropAsync(LiveAgent live, string reason, CancellationToken cancellationToken)
    {
        var serverId = live.Session.ServerId;
        await registry.RemoveAsync(serverId, live.Session.ConnectionId, cancellationToken);
        foreach (var commandId in live.InFlight.Keys.ToList())
        {
            if (!live.InFlight.TryRemove(commandId, out var command)) continue;
            await events.FailedAsync(new CommandFailed(commandId, serverId, FailureReasons.AgentDisconnected,
                $"The agent on `{serverId}` disconnected while running #{commandId} ({reason}); its outcome is unknown.", command.Dispatch.ReplyTo), cancellationToken);
        }

        LogDisconnected(serverId, live.Session.ConnectionId, reason);
        await PublishEventAsync(EventTypes.AgentDisconnected, serverId, new AgentDisconnected(serverId, NodeId, live.Session.ConnectionId, reason, time.GetUtcNow()), cancellationToken);
        if (reason.StartsWith("replaced", StringComparison.Ordinal))
            await live.Session.CloseAsync(reason, cancellationToken);
    }

    private static async Task RefuseAsync(IAgentSession session, string message, CancellationToken cancellationToken)
    {
        await session.SendAsync(new ErrorFrame(message), cancellationToken);
        await session.CloseAsync(message, cancellationToken);
    }

    private async Task PublishEventAsync<T>(string type, string key, T payload, CancellationToken cancellationToken)
    {
        try
        {
            await bus.PublishAsync(Topics.Events, Envelope.Create(type, key, payload, time.GetUtcNow()), cancellationToken);
        }
        catch (BusUnavailableException ex)
        {
            LogEventNotPublished(type, key, ex.Message);
        }
    }

    private sealed class LiveAgent(IAgentSession session, AgentFrameSigner? signer, AgentFrameVerifier? verifier)
    {
        public IAgentSession Session { get; } = session;

        /// <summary>Null on an in-process session (no keys): frames go out and are taken unsigned.</summary>
        public AgentFrameSigner? Signer { get; } = signer;
        public AgentFrameVerifier? Verifier { get; } = verifier;

        public Task SendAsync(AgentFrame frame, CancellationToken cancellationToken) =>
            Session.SendAsync(Signer?.Sign(frame) ?? frame, cancellationToken);

        public ConcurrentDictionary<string, InFlightCommand> InFlight { get; } = new();
    }

    private sealed class InFlightCommand(GatewayDispatch dispatch)
    {
        public GatewayDispatch Dispatch { get; } = dispatch;
        public long OutputBytes { get; set; }
        public bool Truncated { get; set; }
    }
}
