namespace ChatOps.Core.Agents;

/// <summary>One authenticated agent connection as the gateway sees it (the WebSocket lives in the host).</summary>
public interface IAgentSession
{
    string ConnectionId { get; }

    /// <summary>The server id the agent's token is bound to: the only identity it may claim.</summary>
    string ServerId { get; }

    Task SendAsync(AgentFrame frame, CancellationToken cancellationToken);

    /// <summary>Closes the connection with a reason the agent logs.</summary>
    Task CloseAsync(string reason, CancellationToken cancellationToken);
}
