namespace ChatOps.Core.Ports;

/// <summary>Where an agent is connected: which gateway node, on which connection, since when.</summary>
public sealed record AgentConnection(
    string ServerId,
    string NodeId,
    string ConnectionId,
    DateTimeOffset Since,
    string? Version,
    IReadOnlyList<string> Capabilities);

/// <summary>
/// <c>agent:connections:{server_id}</c>: the live connection of each agent, kept alive by
/// heartbeats with a TTL, so a vanished gateway node's agents drop out by themselves.
/// </summary>
public interface IAgentRegistry
{
    /// <summary>Records (or replaces) the connection of <see cref="AgentConnection.ServerId"/>.</summary>
    Task RegisterAsync(AgentConnection connection, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Extends the TTL if <paramref name="connectionId"/> is still the registered one.</summary>
    Task<bool> RefreshAsync(string serverId, string connectionId, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry only if it is still <paramref name="connectionId"/> (a newer connection stays).</summary>
    Task<bool> RemoveAsync(string serverId, string connectionId, CancellationToken cancellationToken = default);

    Task<AgentConnection?> GetAsync(string serverId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AgentConnection>> ListAsync(CancellationToken cancellationToken = default);
}
